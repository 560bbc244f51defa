// The skills extension (SEP-2640) between our server and our client over an in-memory connection
// on revision 2026-07-28: skills/list pages, skills/get, skill:// resources and
// resources/directory/read on the server; the client's typed calls, its cache and its checks.
// Each bad input has its own test.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <optional>

#include "mcp/client.h"
#include "mcp/protocol.h"
#include "mcp/server.h"
#include "mcp/skills.h"
#include "mcp/testing/test_util.h"

namespace bedrock::mcp {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::RunCoroutine;

// ASSERT_* cannot return from a coroutine: this ends the test body instead.
#define MCP_CO_ASSERT(condition)              \
  if (!(condition)) {                         \
    ADD_FAILURE() << "expected: " #condition; \
    co_return;                                \
  }

Skill MustMakeSkill(std::string path, std::string description,
                    std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::string name = path.substr(path.rfind('/') + 1);
  std::vector<SkillFile> files;
  files.emplace_back("SKILL.md",
                     "---\nname: " + name + "\ndescription: " + description + "\n---\n# " + name);
  for (auto& [file, content] : extra) files.emplace_back(file, content);
  auto skill = MakeSkill(std::move(path), std::move(files));
  EXPECT_TRUE(skill.ok()) << skill.error().message();
  return std::move(*skill);
}

// A server with two skills (one with a subfolder) and a client that negotiated 2026-07-28.
struct SkillsFixture {
  explicit SkillsFixture(asio::any_io_executor executor, ServerOptions options = {})
      : server(Implementation("skills-server", "1"), options) {
    server.AddSkill(
        MustMakeSkill("pdf-processing", "Fill PDF forms",
                      {{"references/FORMS.md", "forms\n"}, {"scripts/fill.py", "x=1"}}));
    server.AddSkill(MustMakeSkill("acme/refunds", "Process refunds"));
    auto [client_side, server_side] = CreateMemoryTransportPair(executor);
    client_transport = client_side;
    server_session = server.Serve(server_side);
  }

  Awaitable<core::Result<std::shared_ptr<Client>>> Connect(ClientOptions options = {}) {
    auto client = co_await Client::Connect(client_transport, Implementation("skills-client", "1"),
                                           std::move(options));
    if (client.ok() && !(*client)->modern()) co_return core::Error::Internal("not 2026-07-28");
    co_return client;
  }

  Server server;
  std::shared_ptr<Transport> client_transport;
  std::shared_ptr<ServerSession> server_session;
};

// A request with one string parameter. (The params are built inside: g++ 12 mishandles brace-
// initialised temporaries in a co_await expression.)
Awaitable<core::Result<json::value>> CallWith(Client& client, std::string_view method,
                                              std::string_view key, std::string_view value) {
  json::object params;
  params[key] = value;
  co_return co_await client.Call(method, std::move(params));
}

// The error code our client reports for `method` with `params` against a fresh fixture; nullopt
// when the request succeeds.
std::optional<core::ErrorCode> ErrorOf(std::string_view method, json::object params,
                                       ServerOptions options = {}) {
  std::optional<core::ErrorCode> code;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex, options);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto answer = co_await (*client)->Call(method, std::move(params));
    if (!answer.ok()) code = answer.error().code();
    co_await (*client)->Close();
  });
  return code;
}

struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
};

TEST(SkillsServerTest, DiscoverDeclaresTheExtensionWithDirectoryReadAndResources) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    const json::object& capabilities = (*client)->server_capabilities();
    EXPECT_TRUE(capabilities.contains("resources"));
    EXPECT_EQ(capabilities.at("extensions").at(kSkillsExtension),
              json::parse(R"({"directoryRead":true})"));
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, ListPagesWholeEntriesWithCacheHints) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex, ServerOptions{.page_size = 1});
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto page = co_await (*client)->Call(method::kSkillsList, json::object());
    MCP_CO_ASSERT_OK(page);
    const json::object& first = page->as_object();
    EXPECT_EQ(first.at("skills").as_array().size(), 1u);
    EXPECT_TRUE(first.at("nextCursor").is_string());
    EXPECT_EQ(first.at("resultType"), "complete");
    EXPECT_TRUE(first.at("ttlMs").is_number());
    EXPECT_EQ(first.at("cacheScope"), "public");
    const json::object& entry = first.at("skills").at(0).as_object();
    EXPECT_EQ(entry.at("uri"), "skill://pdf-processing/SKILL.md");
    EXPECT_EQ(entry.at("resources").as_array().size(), 3u);  // never split across pages

    auto all = co_await (*client)->ListSkills();
    MCP_CO_ASSERT_OK(all);
    MCP_CO_ASSERT(all->size() == 2u);
    EXPECT_EQ(all->at(1).at("uri"), "skill://acme/refunds/SKILL.md");
    EXPECT_EQ(all->at(1).at("frontmatter").at("name"), "refunds");
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, EntryListsEveryFileWithItsDigestAndSize) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto entry = co_await (*client)->GetSkill("skill://pdf-processing/SKILL.md");
    MCP_CO_ASSERT_OK(entry);
    const json::array& resources = entry->at("resources").as_array();
    MCP_CO_ASSERT(resources.size() == 3u);
    EXPECT_EQ(resources[0].at("uri"), "skill://pdf-processing/SKILL.md");
    EXPECT_EQ(resources[1].at("uri"), "skill://pdf-processing/references/FORMS.md");
    EXPECT_EQ(resources[1].at("size"), 6);
    EXPECT_EQ(resources[1].at("digest").as_string(), SkillDigest("forms\n"));
    EXPECT_EQ(entry->at("frontmatter").at("description"), "Fill PDF forms");
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, GetOfAnUnknownSkillIsInvalidParams) {
  json::object params{{"uri", "skill://nope/SKILL.md"}};
  EXPECT_EQ(ErrorOf(method::kSkillsGet, std::move(params)), core::ErrorCode::kInvalidArgument);
}

TEST(SkillsServerTest, GetSkillOfAnUnknownSkillIsNotFoundNamingIt) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto typed = co_await (*client)->GetSkill("skill://nope/SKILL.md");
    EXPECT_FALSE(typed.ok());
    if (!typed.ok()) {
      EXPECT_EQ(typed.error().code(), core::ErrorCode::kNotFound);
      EXPECT_NE(typed.error().message().find("skill://nope/SKILL.md"), std::string::npos);
    }
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, GetOfASupportingFileIsNotASkill) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto got = co_await (*client)->GetSkill("skill://pdf-processing/references/FORMS.md");
    EXPECT_FALSE(got.ok());
    if (!got.ok()) {
      EXPECT_EQ(got.error().code(), core::ErrorCode::kNotFound);
    }
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, GetWithoutAUriIsInvalidParams) {
  EXPECT_EQ(ErrorOf(method::kSkillsGet, json::object()), core::ErrorCode::kInvalidArgument);
}

TEST(SkillsServerTest, ListWithABadCursorIsInvalidParams) {
  json::object params{{"cursor", "not-a-cursor"}};
  EXPECT_EQ(ErrorOf(method::kSkillsList, std::move(params), ServerOptions{.page_size = 1}),
            core::ErrorCode::kInvalidArgument);
}

TEST(SkillsServerTest, SkillMdIsMarkdownNamedAndDescribedByItsFrontmatter) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto resources = co_await (*client)->ListResources();
    MCP_CO_ASSERT_OK(resources);
    const json::object* skill_md = nullptr;
    for (const auto& r : *resources) {
      if (r.at("uri") == "skill://acme/refunds/SKILL.md") skill_md = &r.as_object();
    }
    MCP_CO_ASSERT(skill_md != nullptr);
    EXPECT_EQ(skill_md->at("mimeType"), "text/markdown");
    EXPECT_EQ(skill_md->at("name"), "refunds");
    EXPECT_EQ(skill_md->at("description"), "Process refunds");
    auto contents = co_await (*client)->ReadResource("skill://pdf-processing/scripts/fill.py");
    MCP_CO_ASSERT_OK(contents);
    EXPECT_EQ(contents->at(0).at("mimeType"), "text/x-python");
    EXPECT_EQ(contents->at(0).at("text"), "x=1");
    co_await (*client)->Close();
  });
}

// The server matches skill URIs exactly: a path that climbs out of the skill names nothing.
TEST(SkillsServerTest, ReadingAPathThatLeavesTheSkillIsNotFound) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    for (std::string uri : {"skill://pdf-processing/../../etc/passwd",
                            "skill://pdf-processing/references/../../acme/refunds/SKILL.md",
                            "skill://pdf-processing/%2e%2e/SKILL.md"}) {
      auto read = co_await (*client)->ReadResource(uri);
      EXPECT_FALSE(read.ok()) << uri;
      if (!read.ok()) {
        EXPECT_EQ(read.error().code(), core::ErrorCode::kNotFound) << uri;
      }
    }
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, DirectoryReadListsFilesAndSubfolders) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto root = co_await CallWith(**client, method::kResourcesDirectoryRead, "uri",
                                  "skill://pdf-processing");
    MCP_CO_ASSERT_OK(root);
    std::vector<std::string> children;
    for (const auto& child : root->at("resources").as_array()) {
      children.push_back(std::string(child.at("uri").as_string()) + " " +
                         std::string(child.at("mimeType").as_string()));
    }
    EXPECT_EQ(children, (std::vector<std::string>{
                            "skill://pdf-processing/SKILL.md text/markdown",
                            "skill://pdf-processing/references inode/directory",
                            "skill://pdf-processing/scripts inode/directory",
                        }));
    auto sub = co_await CallWith(**client, method::kResourcesDirectoryRead, "uri",
                                 "skill://pdf-processing/references");
    MCP_CO_ASSERT_OK(sub);
    MCP_CO_ASSERT(sub->at("resources").as_array().size() == 1u);
    EXPECT_EQ(sub->at("resources").at(0).at("name"), "FORMS.md");
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, DirectoryReadOfAFileIsInvalidParams) {
  json::object params{{"uri", "skill://pdf-processing/SKILL.md"}};
  EXPECT_EQ(ErrorOf(method::kResourcesDirectoryRead, std::move(params)),
            core::ErrorCode::kInvalidArgument);
}

TEST(SkillsServerTest, DirectoryReadOfAnUnknownFolderIsInvalidParams) {
  json::object params{{"uri", "skill://pdf-processing/nope"}};
  EXPECT_EQ(ErrorOf(method::kResourcesDirectoryRead, std::move(params)),
            core::ErrorCode::kInvalidArgument);
}

// A skill nested in another's folder: its own folder is readable although the enclosing skill
// (registered first) has no file there.
TEST(SkillsServerTest, DirectoryReadFindsANestedSkillsFolder) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    f.server.AddSkill(MustMakeSkill("acme", "Everything Acme"));
    f.server.AddSkill(MustMakeSkill("acme/billing", "Billing", {{"rates.csv", "a,b\n"}}));
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto read =
        co_await CallWith(**client, method::kResourcesDirectoryRead, "uri", "skill://acme/billing");
    MCP_CO_ASSERT_OK(read);
    EXPECT_EQ(read->at("resources").as_array().size(), 2u);
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, ReplacedSkillNoLongerServesTheFilesItDropped) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    f.server.AddSkill(MustMakeSkill("pdf-processing", "Fill PDF forms, version 2"));
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto gone = co_await (*client)->ReadResource("skill://pdf-processing/references/FORMS.md");
    EXPECT_FALSE(gone.ok());
    auto entry = co_await (*client)->GetSkill("skill://pdf-processing/SKILL.md");
    MCP_CO_ASSERT_OK(entry);
    EXPECT_EQ(entry->at("resources").as_array().size(), 1u);
    EXPECT_EQ(entry->at("frontmatter").at("description"), "Fill PDF forms, version 2");
    co_await (*client)->Close();
  });
}

TEST(SkillsServerTest, BinaryFileIsServedAsABlobAndLoadsVerified) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    const std::string png("\x89PNG\r\n\x1a\n\0\xff", 10);
    f.server.AddSkill(MustMakeSkill("logo", "Draw the logo", {{"assets/logo.png", png}}));
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto contents = co_await (*client)->ReadResource("skill://logo/assets/logo.png");
    MCP_CO_ASSERT_OK(contents);
    EXPECT_EQ(contents->at(0).at("mimeType"), "image/png");
    EXPECT_TRUE(contents->at(0).as_object().contains("blob"));
    auto entry = co_await (*client)->GetSkill("skill://logo/SKILL.md");
    MCP_CO_ASSERT_OK(entry);
    auto files = co_await (*client)->LoadSkill(std::move(*entry));
    MCP_CO_ASSERT_OK(files);
    MCP_CO_ASSERT(files->size() == 2u);
    EXPECT_EQ(files->at(1).second, png);
    co_await (*client)->Close();
  });
}

// --- The client: cache and checks ---

TEST(SkillsClientTest, ListIsServedFromTheCacheUntilItsTtlExpires) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex, ServerOptions{.cache_ttl = 5000ms});
    auto clock = std::make_shared<FakeClock>();
    ClientOptions options;
    options.clock = [clock] { return clock->now; };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->ListSkills());
    f.server.AddSkill(MustMakeSkill("late", "Added after the listing"));
    clock->now += 4999ms;
    auto cached = co_await (*client)->ListSkills();
    MCP_CO_ASSERT_OK(cached);
    EXPECT_EQ(cached->size(), 2u);
    clock->now += 1ms;  // past the TTL: listed again
    auto fresh = co_await (*client)->ListSkills();
    MCP_CO_ASSERT_OK(fresh);
    EXPECT_EQ(fresh->size(), 3u);
    co_await (*client)->Close();
  });
}

TEST(SkillsClientTest, GetIsCachedPerUri) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex, ServerOptions{.cache_ttl = 5000ms});
    auto clock = std::make_shared<FakeClock>();
    ClientOptions options;
    options.clock = [clock] { return clock->now; };
    auto client = co_await f.Connect(std::move(options));
    MCP_CO_ASSERT_OK(client);
    MCP_CO_ASSERT_OK(co_await (*client)->GetSkill("skill://acme/refunds/SKILL.md"));
    f.server.AddSkill(MustMakeSkill("acme/refunds", "Changed"));
    f.server.AddSkill(MustMakeSkill("pdf-processing", "Changed too"));
    auto cached = co_await (*client)->GetSkill("skill://acme/refunds/SKILL.md");
    MCP_CO_ASSERT_OK(cached);
    EXPECT_EQ(cached->at("frontmatter").at("description"), "Process refunds");
    auto other = co_await (*client)->GetSkill("skill://pdf-processing/SKILL.md");
    MCP_CO_ASSERT_OK(other);
    EXPECT_EQ(other->at("frontmatter").at("description"), "Changed too");
    co_await (*client)->Close();
  });
}

// The extension's recovery from a stale entry: a load that fails verification drops the cached
// entry and files, so skills/get reaches the server at once (no waiting out the TTL).
TEST(SkillsClientTest, FailedLoadDropsTheCachedSkillSoGetFetchesTheCurrentEntry) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex, ServerOptions{.cache_ttl = 60'000ms});
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    auto old_entry = co_await (*client)->GetSkill("skill://acme/refunds/SKILL.md");
    MCP_CO_ASSERT_OK(old_entry);
    f.server.AddSkill(MustMakeSkill("acme/refunds", "Process refunds, new policy"));
    auto stale = co_await (*client)->LoadSkill(*old_entry);
    EXPECT_FALSE(stale.ok());
    if (!stale.ok()) {
      EXPECT_EQ(stale.error().code(), core::ErrorCode::kDataLoss);
    }
    auto current = co_await (*client)->GetSkill("skill://acme/refunds/SKILL.md");
    MCP_CO_ASSERT_OK(current);
    EXPECT_EQ(current->at("frontmatter").at("description"), "Process refunds, new policy");
    MCP_CO_ASSERT_OK(co_await (*client)->LoadSkill(std::move(*current)));
    co_await (*client)->Close();
  });
}

TEST(SkillsClientTest, DynamicEntryIsRefusedWithoutReadingAnything) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    json::object entry = json::parse(R"({"uri":"skill://acme/refunds/SKILL.md",
        "frontmatter":{"name":"refunds","description":"Process refunds"},
        "resources":"dynamic"})")
                             .as_object();
    auto loaded = co_await (*client)->LoadSkill(std::move(entry));
    EXPECT_FALSE(loaded.ok());
    if (!loaded.ok()) {
      EXPECT_EQ(loaded.error().code(), core::ErrorCode::kFailedPrecondition);
    }
    co_await (*client)->Close();
  });
}

TEST(SkillsClientTest, EntryWithoutResourcesIsRefused) {
  RunCoroutine([](asio::any_io_executor ex) -> Awaitable<void> {
    SkillsFixture f(ex);
    auto client = co_await f.Connect();
    MCP_CO_ASSERT_OK(client);
    json::object entry = json::parse(R"({"uri":"skill://acme/refunds/SKILL.md",
        "frontmatter":{"name":"refunds","description":"Process refunds"}})")
                             .as_object();
    auto loaded = co_await (*client)->LoadSkill(std::move(entry));
    EXPECT_FALSE(loaded.ok());
    if (!loaded.ok()) {
      EXPECT_EQ(loaded.error().code(), core::ErrorCode::kInvalidArgument);
    }
    co_await (*client)->Close();
  });
}

}  // namespace
}  // namespace bedrock::mcp
