#include "mcp/skills.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <set>

#include "core/utf8.h"

namespace bedrock::mcp {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <typename... Args>
core::Error FrontmatterError(int line, fmt::format_string<Args...> format, Args&&... args) {
  return core::Error::InvalidArgument("SKILL.md frontmatter line {}: {}", line,
                                      fmt::format(format, std::forward<Args>(args)...));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), IsDigit);
}

bool OneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), s) != options.end();
}

// YAML 1.2 core float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsYamlFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i == s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i == s.size();
}

// Why a plain scalar is refused: YAML parsers would read it as something the subset does not
// produce (a float, a date, a non-decimal integer), or YAML 1.1 and 1.2 parsers disagree on it
// (yes/no, 0-prefixed octal, 1_000, 1:30). The host compares the frontmatter it parses with the
// entry's, so the server must not guess. Empty: the scalar is unambiguous.
std::string_view AmbiguousPlain(std::string_view s) {
  std::string_view unsigned_part = s;
  if (s.front() == '+' || s.front() == '-') unsigned_part.remove_prefix(1);
  if (IsYamlFloat(s) || OneOf(unsigned_part, {".inf", ".Inf", ".INF"}) ||
      OneOf(s, {".nan", ".NaN", ".NAN"})) {
    return "a non-integer number";
  }
  if (OneOf(s, {"yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y",
                "Y", "n", "N"})) {
    return "a boolean to YAML 1.1 parsers";
  }
  if (unsigned_part.size() > 1 && unsigned_part.front() == '0' &&
      std::string_view("xXoObB").find(unsigned_part[1]) != std::string_view::npos) {
    return "a non-decimal integer";
  }
  if (!unsigned_part.empty() && IsDigit(unsigned_part.front()) &&
      std::all_of(unsigned_part.begin(), unsigned_part.end(),
                  [](char c) { return IsDigit(c) || c == '_' || c == ':' || c == '.'; }) &&
      unsigned_part.find_first_of("_:") != std::string_view::npos) {
    return "a number to YAML 1.1 parsers";
  }
  if (s.size() >= 8 && AllDigits(s.substr(0, 4)) && s[4] == '-' && IsDigit(s[5])) {
    return "a date to some YAML parsers";
  }
  return {};
}

// A plain (unquoted) scalar of the subset: null, booleans and decimal integers are typed as
// YAML 1.2's core schema types them; anything else that is not plain text is refused.
core::Result<json::value> PlainScalar(std::string_view text, int line) {
  if (text.empty() || OneOf(text, {"~", "null", "Null", "NULL"})) return json::value(nullptr);
  if (OneOf(text, {"true", "True", "TRUE"})) return json::value(true);
  if (OneOf(text, {"false", "False", "FALSE"})) return json::value(false);
  std::string_view digits = text;
  const bool negative = digits.front() == '-';
  if (negative || digits.front() == '+') digits.remove_prefix(1);
  if (AllDigits(digits)) {
    // 2^53 - 1: beyond it JSON readers lose precision. A leading zero is octal to YAML 1.1, and
    // -0 is not 0 to a JavaScript host comparing values.
    constexpr int64_t kMaxExact = (int64_t{1} << 53) - 1;
    int64_t number = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (ec != std::errc() || end != digits.data() + digits.size() || number > kMaxExact ||
        (digits.size() > 1 && digits.front() == '0') || (negative && number == 0)) {
      return FrontmatterError(line, "quote '{}': YAML parsers do not agree on it as a number",
                              text);
    }
    return json::value(negative ? -number : number);
  }
  if (std::string_view why = AmbiguousPlain(text); !why.empty()) {
    return FrontmatterError(line, "quote '{}': it is {}", text, why);
  }
  // Indicators that start something else in YAML (flow collections, anchors, aliases, tags,
  // block scalars, sequences, directives, comments) or that the subset does not cover.
  if (std::string_view("[]{}&*!|>%@`#,?:-").find(text.front()) != std::string_view::npos) {
    return FrontmatterError(
        line, "only plain or quoted scalars are supported here (quote values starting with '{}')",
        text.front());
  }
  if (text.find(" #") != std::string_view::npos || text.find(": ") != std::string_view::npos ||
      text.back() == ':') {
    return FrontmatterError(line, "quote values that contain ': ' or ' #' or end with ':'");
  }
  return json::value(std::string(text));
}

// The value of a \x, \u or \U escape: `width` hex digits at text[i...].
std::optional<uint32_t> HexEscape(std::string_view text, size_t i, size_t width) {
  if (i + width > text.size()) return std::nullopt;
  uint32_t cp = 0;
  auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + width, cp, 16);
  if (ec != std::errc() || end != text.data() + i + width) return std::nullopt;
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  return cp;
}

// A 'single' or "double" quoted scalar that must close on its line; a comment may follow.
core::Result<json::value> QuotedScalar(std::string_view text, int line) {
  const char quote = text.front();
  std::string out;
  size_t i = 1;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        out.push_back('\'');
        ++i;
        continue;
      }
      break;
    }
    if (quote == '\'' || c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == text.size()) break;
    const char escape = text[i];
    size_t width = escape == 'x' ? 2 : escape == 'u' ? 4 : escape == 'U' ? 8 : 0;
    if (width != 0) {
      auto cp = HexEscape(text, i + 1, width);
      if (!cp) return FrontmatterError(line, "invalid \\{} escape", escape);
      core::AppendUtf8(out, *cp);
      i += width;
      continue;
    }
    static constexpr std::string_view kFrom = "nt0r\"\\/ ";
    static constexpr std::string_view kTo = {"\n\t\0\r\"\\/ ", 8};
    size_t k = kFrom.find(escape);
    if (k == std::string_view::npos) {
      return FrontmatterError(line, "unsupported escape \\{}", escape);
    }
    out.push_back(kTo[k]);
  }
  if (i >= text.size()) return FrontmatterError(line, "unterminated quote");
  std::string_view rest = text.substr(i + 1);
  if (!rest.empty() && !(rest.front() == ' ' && Trim(rest).front() == '#')) {
    return FrontmatterError(line, "text after the closing quote");
  }
  return json::value(std::move(out));
}

core::Result<json::value> Scalar(std::string_view text, int line) {
  text = Trim(text);
  if (!text.empty() && (text.front() == '"' || text.front() == '\'')) {
    return QuotedScalar(text, line);
  }
  return PlainScalar(text, line);
}

// The bytes of a frontmatter line: UTF-8 without control characters (tabs included: YAML forbids
// them in indentation and the subset keeps it simple).
core::Status CheckLineBytes(std::string_view text, int line) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\t') return FrontmatterError(line, "tabs are not allowed");
    if (c < 0x20 || c == 0x7F) return FrontmatterError(line, "control character 0x{:02x}", c);
    size_t length = core::Utf8SequenceLength(text, i);
    if (length == 0) return FrontmatterError(line, "not valid UTF-8");
    i += length;
  }
  return core::OkStatus();
}

bool ValidKey(std::string_view key) {
  return !key.empty() &&
         std::string_view("[]{}&*!|>%@`#,?:-'\"").find(key.front()) == std::string_view::npos &&
         key.find(" #") == std::string_view::npos;
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

json::object SkillListEntry(const Skill& skill) {
  json::array resources;
  for (const SkillFile& file : skill.files) {
    resources.push_back(json::object{{"uri", skill.FileUri(file.path)},
                                     {"digest", SkillDigest(file.content)},
                                     {"size", file.content.size()}});
  }
  return json::object{{"uri", skill.uri()},
                      {"frontmatter", skill.frontmatter},
                      {"resources", std::move(resources)}};
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
  // The next line of the input without its line break ("\n" or "\r\n").
  auto next_line = [&skill_md](std::string_view& line) {
    if (skill_md.empty()) return false;
    size_t end = skill_md.find('\n');
    line = skill_md.substr(0, end);
    skill_md.remove_prefix(end == std::string_view::npos ? skill_md.size() : end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return true;
  };
  std::string_view line;
  if (!next_line(line) || line != "---") {
    return core::Error::InvalidArgument("SKILL.md must begin with a '---' frontmatter block");
  }
  json::object out;
  // The one level of nesting: the top-level key whose map is open, its entries, and the
  // indentation every one of them must have (set by the first).
  std::string open_key;
  json::object open_map;
  size_t open_indent = 0;
  auto close_map = [&] {
    if (open_key.empty()) return;
    // A key with neither a value nor indented entries is null, as in YAML.
    out[open_key] = open_map.empty() ? json::value(nullptr) : json::value(std::move(open_map));
    open_key.clear();
    open_map = json::object();
    open_indent = 0;
  };
  int number = 1;
  bool closed = false;
  while (next_line(line)) {
    ++number;
    if (line.starts_with("---") && line.find_first_not_of(" \t", 3) == std::string_view::npos) {
      closed = true;
      break;
    }
    BEDROCK_TRY(CheckLineBytes(line, number));
    std::string_view body = Trim(line);
    if (body.empty() || body.front() == '#') continue;
    const size_t indent = line.find_first_not_of(' ');
    size_t colon = body.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        (colon + 1 < body.size() && body[colon + 1] != ' ')) {
      return FrontmatterError(number, "expected 'key: value'");
    }
    std::string key(Trim(body.substr(0, colon)));
    if (!ValidKey(key)) {
      return FrontmatterError(number, "keys are plain text, not quoted or starting with '{}'",
                              key.empty() ? ' ' : key.front());
    }
    std::string_view value = Trim(body.substr(colon + 1));
    if (indent > 0) {
      if (open_key.empty()) {
        return FrontmatterError(number,
                                "indented line outside a map (multi-line values must be "
                                "quoted on one line)");
      }
      if (open_indent == 0) open_indent = indent;
      if (indent != open_indent) {
        return FrontmatterError(number,
                                "only one level of nested maps, evenly indented, is supported");
      }
      if (open_map.contains(key)) return FrontmatterError(number, "duplicate key '{}'", key);
      json::value scalar = BEDROCK_TRY(Scalar(value, number));
      open_map[key] = std::move(scalar);
      continue;
    }
    close_map();
    if (out.contains(key)) return FrontmatterError(number, "duplicate key '{}'", key);
    if (value.empty()) {
      out[key] = nullptr;  // a map of indented entries may follow
      open_key = key;
      continue;
    }
    json::value scalar = BEDROCK_TRY(Scalar(value, number));
    out[key] = std::move(scalar);
  }
  if (!closed) return core::Error::InvalidArgument("SKILL.md frontmatter is not closed by '---'");
  close_map();
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

namespace {

bool Hidden(const fs::path& path) { return path.filename().string().starts_with('.'); }

// Every file of the skill folder `dir`, checked against the limits before any is read (so a huge
// file costs nothing). Hidden entries (".git", ".DS_Store") are not part of the skill.
core::Result<std::vector<SkillFile>> ReadSkillFiles(const fs::path& dir) {
  const std::string name = dir.filename().string();
  std::vector<SkillFile> files;
  size_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (Hidden(it->path())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec)) {
      return core::Error::InvalidArgument("skill {}: {} is a symbolic link", name,
                                          it->path().string());
    }
    if (!it->is_regular_file(ec)) continue;  // folders are walked; devices, FIFOs are not files
    const uintmax_t size = it->file_size(ec);
    if (ec) break;
    total += size;
    if (files.size() == kMaxSkillFiles || total > kMaxSkillBytes) {
      return core::Error::InvalidArgument("skill {}: more than {} files or {} bytes", name,
                                          kMaxSkillFiles, kMaxSkillBytes);
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return core::Error::Unavailable("cannot read {}", it->path().string());
    }
    files.emplace_back(fs::relative(it->path(), dir).generic_string(), std::move(content));
  }
  if (ec) return core::Error::Unavailable("cannot read {}: {}", dir.string(), ec.message());
  return files;
}

}  // namespace

core::Result<std::vector<Skill>> LoadSkillsDirectory(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return core::Error::NotFound("skills directory {} does not exist", root.string());
  }
  std::vector<Skill> skills;
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::end(it); it.increment(ec)) {
    const fs::path& dir = it->path();
    // A symbolic link to a folder is not followed: it may lead anywhere.
    if (Hidden(dir) || it->is_symlink(ec) || !it->is_directory(ec) ||
        !fs::exists(fs::symlink_status(dir / "SKILL.md", ec))) {
      continue;
    }
    std::vector<SkillFile> files = BEDROCK_TRY(ReadSkillFiles(dir));
    skills.push_back(BEDROCK_TRY(MakeSkill(dir.filename().string(), std::move(files))));
  }
  if (ec) return core::Error::Unavailable("cannot read {}: {}", root.string(), ec.message());
  std::sort(skills.begin(), skills.end(),
            [](const Skill& a, const Skill& b) { return a.path < b.path; });
  return skills;
}

bool IsUtf8Text(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t length = core::Utf8SequenceLength(bytes, i);
    if (length == 0 || bytes[i] == '\0') return false;
    i += length;
  }
  return true;
}

std::string SkillFileMimeType(const SkillFile& file) {
  static constexpr std::pair<std::string_view, std::string_view> kByExtension[] = {
      {".md", "text/markdown"},      {".txt", "text/plain"},        {".py", "text/x-python"},
      {".sh", "text/x-shellscript"}, {".js", "text/javascript"},    {".ts", "text/x-typescript"},
      {".json", "application/json"}, {".yaml", "application/yaml"}, {".yml", "application/yaml"},
      {".html", "text/html"},        {".csv", "text/csv"},          {".xml", "application/xml"},
      {".png", "image/png"},         {".jpg", "image/jpeg"},        {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},         {".svg", "image/svg+xml"},     {".pdf", "application/pdf"},
  };
  const std::string_view name = file.path.substr(file.path.rfind('/') + 1);
  for (const auto& [extension, type] : kByExtension) {
    if (name.size() > extension.size() && name.ends_with(extension)) return std::string(type);
  }
  return IsUtf8Text(file.content) ? "text/plain" : "application/octet-stream";
}

}  // namespace bedrock::mcp
