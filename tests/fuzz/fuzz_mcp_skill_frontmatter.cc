// Fuzzes the SKILL.md frontmatter parser (mcp/skills.h), which reads skill files from disk that a
// server operator may have copied from anywhere, and, in our client, the bytes a server serves:
// the input whole and cut at several points must parse or fail cleanly; a parsed frontmatter
// always has string name and description, is valid JSON (UTF-8 included) once serialized, and
// verifies against an entry made from it (the client's check of a server's own SKILL.md); a
// skill made from it serves no file outside itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "mcp/skills.h"

namespace {

using namespace bedrock::mcp;

void ParseOne(std::string_view text) {
  auto parsed = ParseSkillFrontmatter(text);
  if (!parsed.ok()) return;
  if (!parsed->at("name").is_string() || !parsed->at("description").is_string()) std::abort();
  boost::system::error_code ec;
  boost::json::value reparsed = boost::json::parse(boost::json::serialize(*parsed), ec);
  if (ec || reparsed != boost::json::value(*parsed)) std::abort();
  boost::json::object entry{{"uri", "skill://x/SKILL.md"}, {"frontmatter", *parsed}};
  entry["resources"] = boost::json::array{boost::json::object{
      {"uri", "skill://x/SKILL.md"}, {"digest", SkillDigest(text)}, {"size", text.size()}}};
  if (!VerifySkillFile(entry, "skill://x/SKILL.md", text).ok()) std::abort();
  std::vector<SkillFile> files;
  files.emplace_back("SKILL.md", std::string(text));
  auto skill = MakeSkill(std::string(parsed->at("name").get_string()), std::move(files));
  if (skill.ok() && skill->uri().rfind("skill://", 0) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOne(text);
  for (size_t cut : {size / 3, size / 2, size - size / 4}) ParseOne(text.substr(0, cut));
  return 0;
}
