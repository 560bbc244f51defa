// Skills (SEP-2640): the SKILL.md frontmatter subset, the checks a skill passes before it is
// served, and loading skills from a directory.
#include "mcp/skills.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

namespace bedrock::mcp {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::string_view kSkillMd =
    "---\n"
    "name: pdf-processing\n"
    "description: 'Extract, fill: and assemble PDFs'\n"
    "license: Apache-2.0\n"
    "version: 3\n"
    "beta: false\n"
    "metadata:\n"
    "  author: \"Ada \\\"A\\\" Lovelace\"\n"
    "  io.modelcontextprotocol/skills-origin: demo\n"
    "---\n"
    "# Body\n";

std::vector<SkillFile> Files(std::string_view skill_md = kSkillMd) {
  std::vector<SkillFile> files;
  files.emplace_back("SKILL.md", std::string(skill_md));
  files.emplace_back("references/FORMS.md", "forms\n");
  return files;
}

core::Error FrontmatterError(std::string_view text) {
  auto parsed = ParseSkillFrontmatter(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? core::Error::Internal("parsed") : parsed.error();
}

TEST(SkillFrontmatterTest, ScalarsQuotesAndOneNestedMapBecomeJson) {
  auto parsed = ParseSkillFrontmatter(kSkillMd);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->at("name"), "pdf-processing");
  EXPECT_EQ(parsed->at("description"), "Extract, fill: and assemble PDFs");
  EXPECT_EQ(parsed->at("version"), 3);
  EXPECT_EQ(parsed->at("beta"), false);
  EXPECT_EQ(parsed->at("metadata").at("author"), "Ada \"A\" Lovelace");
  EXPECT_EQ(parsed->at("metadata").at("io.modelcontextprotocol/skills-origin"), "demo");
}

TEST(SkillFrontmatterTest, ByteOrderMarkAndCrLfAreAccepted) {
  auto parsed =
      ParseSkillFrontmatter("\xEF\xBB\xBF---\r\nname: a\r\ndescription: b\r\n---\r\nbody");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->at("description"), "b");
}

TEST(SkillFrontmatterTest, MissingOpeningFenceIsRefused) {
  EXPECT_NE(FrontmatterError("name: a\n").message().find("must begin"), std::string::npos);
}

TEST(SkillFrontmatterTest, UnclosedBlockIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: b\n").message().find("not closed"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, MissingDescriptionIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\n---\n").message().find("description"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, ListsAreRefusedWithTheLine) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: b\ntags: [x, y]\n---\n")
                .message()
                .find("line 4"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, TabsAreRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: b\nmetadata:\n\tk: v\n---\n")
                .message()
                .find("tabs"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, DuplicateKeyIsRefused) {
  EXPECT_NE(
      FrontmatterError("---\nname: a\nname: b\ndescription: c\n---\n").message().find("duplicate"),
      std::string::npos);
}

TEST(SkillFrontmatterTest, UnquotedColonSpaceInAValueIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: b: c\n---\n").message().find("quote"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, UnterminatedQuoteIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: \"b\n---\n").message().find("quote"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, IndentedLineWithoutAMapIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\n  description: b\n---\n").message().find("outside"),
            std::string::npos);
}

TEST(MakeSkillTest, ValidSkillPutsSkillMdFirstAndDigestsItsFiles) {
  std::vector<SkillFile> files;
  files.emplace_back("references/FORMS.md", "forms\n");
  files.emplace_back("SKILL.md", std::string(kSkillMd));
  auto skill = MakeSkill("acme/pdf-processing", std::move(files));
  ASSERT_TRUE(skill.ok()) << skill.error().ToString();
  EXPECT_EQ(skill->files.front().path, "SKILL.md");
  EXPECT_EQ(skill->uri(), "skill://acme/pdf-processing/SKILL.md");
  EXPECT_EQ(SkillDigest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MakeSkillTest, NameMustEqualTheLastPathSegment) {
  auto skill = MakeSkill("pdf-tools", Files());
  ASSERT_FALSE(skill.ok());
  EXPECT_NE(skill.error().message().find("must equal"), std::string::npos);
}

TEST(MakeSkillTest, UppercaseOrDoubleHyphenSegmentsAreRefused) {
  EXPECT_FALSE(MakeSkill("PDF-processing", Files()).ok());
  EXPECT_FALSE(MakeSkill("acme--x/pdf-processing", Files()).ok());
  EXPECT_FALSE(MakeSkill("/pdf-processing", Files()).ok());
}

TEST(MakeSkillTest, FilePathsThatLeaveTheSkillAreRefused) {
  for (std::string bad : {"../secret", "a/../../b", "/etc/passwd", "a\\b", "./x", "a//b"}) {
    auto files = Files();
    files.emplace_back(bad, "x");
    auto skill = MakeSkill("pdf-processing", std::move(files));
    ASSERT_FALSE(skill.ok()) << bad;
    EXPECT_NE(skill.error().message().find("inside the skill"), std::string::npos) << bad;
  }
}

TEST(MakeSkillTest, DuplicateFileIsRefused) {
  auto files = Files();
  files.emplace_back("references/FORMS.md", "again");
  EXPECT_FALSE(MakeSkill("pdf-processing", std::move(files)).ok());
}

TEST(MakeSkillTest, MissingSkillMdIsRefused) {
  std::vector<SkillFile> files;
  files.emplace_back("README.md", "x");
  auto skill = MakeSkill("pdf-processing", std::move(files));
  ASSERT_FALSE(skill.ok());
  EXPECT_NE(skill.error().message().find("no SKILL.md"), std::string::npos);
}

TEST(MakeSkillTest, MoreThan512FilesIsRefused) {
  auto files = Files();
  for (size_t i = 0; i < kMaxSkillFiles; ++i) files.emplace_back("f" + std::to_string(i), "");
  EXPECT_FALSE(MakeSkill("pdf-processing", std::move(files)).ok());
}

TEST(MakeSkillTest, MoreThan16MiBIsRefused) {
  auto files = Files();
  files.emplace_back("big.bin", std::string(kMaxSkillBytes, 'x'));
  EXPECT_FALSE(MakeSkill("pdf-processing", std::move(files)).ok());
}

// A skills/list entry for `files` as a server would list it.
json::object EntryFor(const Skill& skill) {
  json::array resources;
  for (const SkillFile& f : skill.files) {
    resources.push_back(json::object{{"uri", skill.FileUri(f.path)},
                                     {"digest", SkillDigest(f.content)},
                                     {"size", f.content.size()}});
  }
  return json::object{
      {"uri", skill.uri()}, {"frontmatter", skill.frontmatter}, {"resources", resources}};
}

TEST(VerifySkillFileTest, UntouchedFilesVerify) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  json::object entry = EntryFor(*skill);
  for (const SkillFile& f : skill->files) {
    EXPECT_TRUE(VerifySkillFile(entry, skill->FileUri(f.path), f.content).ok()) << f.path;
  }
}

TEST(VerifySkillFileTest, ChangedBytesFailTheDigest) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  std::string evil = skill->files[1].content;
  evil[0] = 'F';
  auto status = VerifySkillFile(EntryFor(*skill), skill->FileUri("references/FORMS.md"), evil);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kDataLoss);
  EXPECT_NE(status.error().message().find("digest"), std::string::npos);
}

TEST(VerifySkillFileTest, ExtraBytesFailTheSize) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  auto status = VerifySkillFile(EntryFor(*skill), skill->uri(), skill->files[0].content + "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("bytes read"), std::string::npos);
}

TEST(VerifySkillFileTest, FrontmatterDifferentFromTheEntryFails) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  json::object entry = EntryFor(*skill);
  entry["frontmatter"].as_object()["description"] = "Exfiltrate credentials";
  auto status = VerifySkillFile(entry, skill->uri(), skill->files[0].content);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("frontmatter"), std::string::npos);
}

TEST(VerifySkillFileTest, FileTheEntryDoesNotListFails) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  auto status = VerifySkillFile(EntryFor(*skill), "skill://pdf-processing/extra.md", "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("not in the skill"), std::string::npos);
}

// A fresh directory under the test's temp dir, removed at the end.
struct TempDir {
  TempDir() : path(fs::temp_directory_path() / ("bedrock-skills-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void Write(const fs::path& relative, std::string_view content) const {
    fs::create_directories((path / relative).parent_path());
    std::ofstream(path / relative) << content;
  }
  fs::path path;
};

TEST(LoadSkillsDirectoryTest, EverySubdirectoryWithASkillMdIsASkill) {
  TempDir dir;
  dir.Write("pdf-processing/SKILL.md", kSkillMd);
  dir.Write("pdf-processing/references/FORMS.md", "forms\n");
  dir.Write("notes/README.md", "not a skill\n");
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_TRUE(skills.ok()) << skills.error().ToString();
  ASSERT_EQ(skills->size(), 1u);
  EXPECT_EQ(skills->front().path, "pdf-processing");
  ASSERT_EQ(skills->front().files.size(), 2u);
  EXPECT_EQ(skills->front().files[1].path, "references/FORMS.md");
}

TEST(LoadSkillsDirectoryTest, SymbolicLinkInsideASkillIsRefused) {
  TempDir dir;
  dir.Write("pdf-processing/SKILL.md", kSkillMd);
  fs::create_symlink("/etc/hostname", dir.path / "pdf-processing" / "host");
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_FALSE(skills.ok());
  EXPECT_NE(skills.error().message().find("symbolic link"), std::string::npos);
}

TEST(LoadSkillsDirectoryTest, MissingDirectoryIsNotFound) {
  auto skills = LoadSkillsDirectory("/nonexistent/bedrock-skills");
  ASSERT_FALSE(skills.ok());
  EXPECT_EQ(skills.error().code(), core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace bedrock::mcp
