// Agent skills served over MCP (the skills extension, io.modelcontextprotocol/skills, SEP-2640):
// a skill is a directory with a SKILL.md (YAML frontmatter with at least `name` and
// `description`, then Markdown) and any supporting files. Server::AddSkill serves each file as a
// `skill://<skill-path>/<file>` resource and lists the skill in skills/list and skills/get.
//
//   auto skills = mcp::LoadSkillsDirectory("skills/");  // one skill per subfolder
//   if (!skills.ok()) return skills.error();           // names the file and line at fault
//   for (auto& skill : *skills) server.AddSkill(std::move(skill));
//
// The frontmatter parser reads the YAML subset skill files use, and types values exactly as a
// YAML 1.2 parser would (a host compares its own parse of SKILL.md with the listed frontmatter):
// `key: value` scalars, plain or 'single'/"double" quoted on one line (null, true/false and
// decimal integers are typed; anything YAML parsers read as a float, a date, a non-decimal
// integer, or differently between YAML 1.1 and 1.2, such as `yes` or `010`, must be quoted), and
// one level of nested maps (`metadata:` followed by evenly indented `key: value` lines). Anything
// else (lists, flow collections, anchors, tags, multi-line scalars, tabs, control characters,
// invalid UTF-8) is refused with the line number, never guessed at.
//
// Thread-safety: free functions without shared state; a Skill is a value.
#pragma once

#include <boost/json/object.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::mcp {

// One file of a skill: its path inside the skill's directory ("SKILL.md", "references/FORMS.md")
// and its bytes.
struct SkillFile {
  SkillFile(std::string file_path, std::string file_content)
      : path(std::move(file_path)), content(std::move(file_content)) {}
  std::string path;
  std::string content;
};

struct Skill {
  // The skill path: one or more segments ("pdf-processing", "acme/pdf-processing"); the last one
  // is the skill's name and equals frontmatter.name.
  std::string path;
  boost::json::object frontmatter;  // SKILL.md's frontmatter as JSON
  std::vector<SkillFile> files;     // SKILL.md first

  // skill://<path>/SKILL.md
  std::string uri() const;
  // skill://<path>/<file>
  std::string FileUri(std::string_view file) const;
};

// Limits SEP-2640 sets on one skill.
inline constexpr size_t kMaxSkillFiles = 512;
inline constexpr size_t kMaxSkillBytes = 16 * 1024 * 1024;

// The frontmatter of a SKILL.md (between a first line `---` and the next line that is `---`).
// kInvalidArgument naming the line for what the subset does not cover, a missing or unclosed
// block, or a missing name/description. Safe on untrusted bytes (fuzzed).
core::Result<boost::json::object> ParseSkillFrontmatter(std::string_view skill_md);

// A skill from its files, checked: a SKILL.md with valid frontmatter; `path` segments of
// lowercase letters, digits and hyphens (1-64 characters, no leading, trailing or double
// hyphen) ending in frontmatter.name; file paths relative, without `.`/`..` segments or
// backslashes, each once; at most kMaxSkillFiles files and kMaxSkillBytes bytes.
core::Result<Skill> MakeSkill(std::string path, std::vector<SkillFile> files);

// Every immediate subdirectory of `root` that holds a SKILL.md, as a skill named by the
// directory, its files read recursively. A skill never serves a file outside its directory:
// symbolic links inside a skill are refused, a linked skill folder is skipped. Hidden entries
// (names starting with '.') are left out. The limits are checked from file sizes before reading.
// Sorted by name; the first bad skill fails the whole load.
core::Result<std::vector<Skill>> LoadSkillsDirectory(const std::filesystem::path& root);

// Whether `bytes` is UTF-8 text without NUL bytes: served as a resource's `text`, else as `blob`.
bool IsUtf8Text(std::string_view bytes);

// The MIME type a skill file is served with: by its extension (text/markdown for .md), else
// text/plain for UTF-8 text and application/octet-stream for other bytes.
std::string SkillFileMimeType(const SkillFile& file);

// The skill as skills/list and skills/get describe it: {uri, frontmatter, resources: [{uri,
// digest, size}]}, SKILL.md first.
boost::json::object SkillListEntry(const Skill& skill);

// "sha256:<64 lowercase hex digits>" of `bytes`.
std::string SkillDigest(std::string_view bytes);

// Client side: checks the bytes read for `uri` against a skills/list entry ({uri, frontmatter,
// resources: [{uri, digest, size}]}) before anything uses them: the entry must list the file,
// the size and digest must match, and for the entry's SKILL.md the parsed frontmatter must equal
// the entry's. kDataLoss naming the file and what differed; kInvalidArgument for an entry that
// lacks what the check needs.
core::Status VerifySkillFile(const boost::json::object& entry, std::string_view uri,
                             std::string_view bytes);

}  // namespace bedrock::mcp
