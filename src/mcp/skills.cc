#include "mcp/skills.h"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace bedrock::mcp {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// One YAML scalar of the subset: quoted strings, true/false, null/~, integers, else plain text.
core::Result<json::value> Scalar(std::string_view text, int line) {
  text = Trim(text);
  if (text.empty() || text == "null" || text == "~") return json::value(nullptr);
  const char quote = text.front();
  if (quote == '"' || quote == '\'') {
    if (text.size() < 2 || text.back() != quote) {
      return core::Error::InvalidArgument("SKILL.md frontmatter line {}: unterminated quote", line);
    }
    std::string out;
    for (size_t i = 1; i + 1 < text.size(); ++i) {
      char c = text[i];
      if (quote == '\'' && c == '\'' && i + 2 < text.size() && text[i + 1] == '\'') {
        out.push_back('\'');
        ++i;
      } else if (quote == '"' && c == '\\' && i + 2 < text.size()) {
        char next = text[++i];
        switch (next) {
          case 'n':
            out.push_back('\n');
            break;
          case 't':
            out.push_back('\t');
            break;
          case '"':
          case '\\':
            out.push_back(next);
            break;
          default:
            return core::Error::InvalidArgument(
                "SKILL.md frontmatter line {}: unsupported escape \\{}", line, next);
        }
      } else {
        out.push_back(c);
      }
    }
    return json::value(std::move(out));
  }
  if (text == "true") return json::value(true);
  if (text == "false") return json::value(false);
  int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) return json::value(number);
  if (text.front() == '[' || text.front() == '{' || text.front() == '&' || text.front() == '*' ||
      text.front() == '|' || text.front() == '>' || text.front() == '-' || text.front() == '!') {
    return core::Error::InvalidArgument(
        "SKILL.md frontmatter line {}: only plain or quoted scalars are supported here", line);
  }
  if (text.find(" #") != std::string_view::npos || text.find(": ") != std::string_view::npos) {
    return core::Error::InvalidArgument(
        "SKILL.md frontmatter line {}: quote values that contain ': ' or ' #'", line);
  }
  return json::value(std::string(text));
}

bool ValidSegment(std::string_view segment) {
  if (segment.empty() || segment.size() > 64) return false;
  if (segment.front() == '-' || segment.back() == '-') return false;
  if (segment.find("--") != std::string_view::npos) return false;
  return std::all_of(segment.begin(), segment.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool ValidFilePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos ||
      path.find('\0') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::string Skill::uri() const { return FileUri("SKILL.md"); }

std::string Skill::FileUri(std::string_view file) const {
  return "skill://" + path + "/" + std::string(file);
}

std::string SkillDigest(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

core::Status VerifySkillFile(const json::object& entry, std::string_view uri,
                             std::string_view bytes) {
  const json::value* resources = entry.if_contains("resources");
  if (resources == nullptr || !resources->is_array()) {
    return core::Error::InvalidArgument("skill entry without a resources list");
  }
  const json::object* record = nullptr;
  for (const json::value& r : resources->get_array()) {
    const json::object* o = r.if_object();
    const json::value* u = o ? o->if_contains("uri") : nullptr;
    if (u != nullptr && u->is_string() && u->get_string() == uri) record = o;
  }
  if (record == nullptr) {
    return core::Error::DataLoss("skill file {} is not in the skill's resources", uri);
  }
  const json::value* size = record->if_contains("size");
  if (size == nullptr || !size->is_number() ||
      size->to_number<double>() != static_cast<double>(bytes.size())) {
    return core::Error::DataLoss("skill file {}: {} bytes read, the entry says {}", uri,
                                 bytes.size(), size ? json::serialize(*size) : "nothing");
  }
  const json::value* digest = record->if_contains("digest");
  if (digest == nullptr || !digest->is_string() || digest->get_string() != SkillDigest(bytes)) {
    return core::Error::DataLoss("skill file {}: its digest does not match the entry's", uri);
  }
  const json::value* skill_uri = entry.if_contains("uri");
  if (skill_uri != nullptr && skill_uri->is_string() && skill_uri->get_string() == uri) {
    auto frontmatter = ParseSkillFrontmatter(bytes);
    if (!frontmatter.ok()) {
      return core::Error::DataLoss("skill file {}: {}", uri, frontmatter.error().message());
    }
    const json::value* listed = entry.if_contains("frontmatter");
    if (listed == nullptr || !listed->is_object() || *listed != json::value(*frontmatter)) {
      return core::Error::DataLoss("skill file {}: its frontmatter differs from the entry's", uri);
    }
  }
  return core::OkStatus();
}

core::Result<json::object> ParseSkillFrontmatter(std::string_view skill_md) {
  if (skill_md.starts_with("\xEF\xBB\xBF")) skill_md.remove_prefix(3);  // a UTF-8 BOM
  std::istringstream in{std::string(skill_md)};
  std::string line;
  if (!std::getline(in, line) || Trim(line) != "---") {
    return core::Error::InvalidArgument("SKILL.md must begin with a '---' frontmatter block");
  }
  json::object out;
  json::object* nested = nullptr;  // the map the indented lines belong to
  int number = 1;
  bool closed = false;
  while (std::getline(in, line)) {
    ++number;
    std::string_view text = line;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (Trim(text) == "---") {
      closed = true;
      break;
    }
    if (Trim(text).empty() || Trim(text).front() == '#') continue;
    if (text.find('\t') != std::string_view::npos) {
      return core::Error::InvalidArgument("SKILL.md frontmatter line {}: tabs are not allowed",
                                          number);
    }
    const bool indented = text.front() == ' ';
    std::string_view body = Trim(text);
    size_t colon = body.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        (colon + 1 < body.size() && body[colon + 1] != ' ')) {
      return core::Error::InvalidArgument("SKILL.md frontmatter line {}: expected 'key: value'",
                                          number);
    }
    std::string key(Trim(body.substr(0, colon)));
    std::string_view value = body.substr(colon + 1);
    json::object* target = &out;
    if (indented) {
      if (nested == nullptr) {
        return core::Error::InvalidArgument(
            "SKILL.md frontmatter line {}: indented line outside a map", number);
      }
      target = nested;
    } else {
      nested = nullptr;
    }
    if (target->contains(key)) {
      return core::Error::InvalidArgument("SKILL.md frontmatter line {}: duplicate key '{}'",
                                          number, key);
    }
    if (Trim(value).empty() && !indented) {
      nested = &(*target)[key].emplace_object();
      continue;
    }
    auto scalar = Scalar(value, number);
    if (!scalar.ok()) return scalar.error();
    (*target)[key] = std::move(*scalar);
  }
  if (!closed) return core::Error::InvalidArgument("SKILL.md frontmatter is not closed by '---'");
  for (std::string_view required : {"name", "description"}) {
    const json::value* v = out.if_contains(required);
    if (v == nullptr || !v->is_string() || v->get_string().empty()) {
      return core::Error::InvalidArgument("SKILL.md frontmatter needs a string '{}'", required);
    }
  }
  return out;
}

core::Result<Skill> MakeSkill(std::string path, std::vector<SkillFile> files) {
  std::string_view rest = path;
  std::string_view name;
  while (true) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (!ValidSegment(segment)) {
      return core::Error::InvalidArgument(
          "skill path '{}': segments are 1-64 lowercase letters, digits and single hyphens", path);
    }
    name = segment;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (files.size() > kMaxSkillFiles) {
    return core::Error::InvalidArgument("skill {}: {} files, more than {}", path, files.size(),
                                        kMaxSkillFiles);
  }
  size_t total = 0;
  std::set<std::string_view> seen;
  const SkillFile* skill_md = nullptr;
  for (const SkillFile& file : files) {
    if (!ValidFilePath(file.path)) {
      return core::Error::InvalidArgument("skill {}: file path '{}' must stay inside the skill",
                                          path, file.path);
    }
    if (!seen.insert(file.path).second) {
      return core::Error::InvalidArgument("skill {}: file '{}' given twice", path, file.path);
    }
    total += file.content.size();
    if (file.path == "SKILL.md") skill_md = &file;
  }
  if (total > kMaxSkillBytes) {
    return core::Error::InvalidArgument("skill {}: {} bytes, more than {}", path, total,
                                        kMaxSkillBytes);
  }
  if (skill_md == nullptr) return core::Error::InvalidArgument("skill {} has no SKILL.md", path);
  auto frontmatter = ParseSkillFrontmatter(skill_md->content);
  if (!frontmatter.ok()) {
    return core::Error::InvalidArgument("skill {}: {}", path, frontmatter.error().message());
  }
  if (frontmatter->at("name").get_string() != name) {
    return core::Error::InvalidArgument("skill {}: frontmatter name '{}' must equal '{}'", path,
                                        std::string_view(frontmatter->at("name").get_string()),
                                        name);
  }
  Skill skill;
  skill.path = std::move(path);
  skill.frontmatter = std::move(*frontmatter);
  std::stable_partition(files.begin(), files.end(),
                        [](const SkillFile& f) { return f.path == "SKILL.md"; });
  skill.files = std::move(files);
  return skill;
}

core::Result<std::vector<Skill>> LoadSkillsDirectory(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return core::Error::NotFound("skills directory {} does not exist", root.string());
  }
  std::vector<Skill> skills;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory() || entry.is_symlink() || !fs::exists(entry.path() / "SKILL.md")) {
      continue;
    }
    std::vector<SkillFile> files;
    for (auto it = fs::recursive_directory_iterator(entry.path(), ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_symlink()) {
        return core::Error::InvalidArgument("skill {}: {} is a symbolic link",
                                            entry.path().filename().string(), it->path().string());
      }
      if (!it->is_regular_file()) continue;
      std::ifstream in(it->path(), std::ios::binary);
      std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        return core::Error::Unavailable("cannot read {}", it->path().string());
      }
      files.emplace_back(fs::relative(it->path(), entry.path()).generic_string(),
                         std::move(content));
    }
    if (ec) return core::Error::Unavailable("cannot read {}: {}", root.string(), ec.message());
    auto skill = MakeSkill(entry.path().filename().string(), std::move(files));
    if (!skill.ok()) return skill.error();
    skills.push_back(std::move(*skill));
  }
  if (ec) return core::Error::Unavailable("cannot read {}: {}", root.string(), ec.message());
  std::sort(skills.begin(), skills.end(),
            [](const Skill& a, const Skill& b) { return a.path < b.path; });
  return skills;
}

}  // namespace bedrock::mcp
