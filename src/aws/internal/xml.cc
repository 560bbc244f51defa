#include "aws/internal/xml.h"

#include <cstdint>

#include "core/utf8.h"

namespace bedrock::aws::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

class Parser {
 public:
  explicit Parser(std::string_view in) : in_(in) {}

  core::Result<XmlElement> Document() {
    BEDROCK_TRY(Misc());
    if (AtEnd() || Peek() != '<') return Fail("expected the root element");
    XmlElement root;
    BEDROCK_TRY(Element(root, 1));
    BEDROCK_TRY(Misc());
    if (!AtEnd()) return Fail("content after the root element");
    return root;
  }

 private:
  bool AtEnd() const { return pos_ >= in_.size(); }
  char Peek() const { return in_[pos_]; }
  bool StartsWith(std::string_view s) const { return in_.substr(pos_).starts_with(s); }

  core::Error Fail(std::string_view what) const {
    return core::Error::InvalidArgument("malformed XML at byte {}: {}", pos_, what);
  }

  void SkipSpace() {
    while (!AtEnd() && IsSpace(Peek())) ++pos_;
  }

  // Whitespace, comments and processing instructions outside the root.
  core::Status Misc() {
    while (true) {
      SkipSpace();
      if (StartsWith("<?")) {
        BEDROCK_TRY(SkipPast("?>", "unterminated processing instruction"));
      } else if (StartsWith("<!--")) {
        BEDROCK_TRY(Comment());
      } else if (StartsWith("<!")) {
        return Fail("DOCTYPE and other declarations are not accepted");
      } else {
        return core::OkStatus();
      }
    }
  }

  core::Status SkipPast(std::string_view end, std::string_view what) {
    size_t at = in_.find(end, pos_);
    if (at == std::string_view::npos) return Fail(what);
    pos_ = at + end.size();
    return core::OkStatus();
  }

  core::Status Comment() {
    pos_ += 4;
    size_t at = in_.find("--", pos_);
    if (at == std::string_view::npos || at + 2 >= in_.size() || in_[at + 2] != '>') {
      return Fail("unterminated or malformed comment");
    }
    pos_ = at + 3;
    return core::OkStatus();
  }

  core::Result<std::string_view> Name() {
    size_t start = pos_;
    if (AtEnd() || !IsNameStart(Peek())) return Fail("expected a name");
    while (!AtEnd() && IsNameChar(Peek())) ++pos_;
    return in_.substr(start, pos_ - start);
  }

  static std::string_view LocalName(std::string_view name) {
    size_t colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
  }

  // At '&': appends the referenced character.
  core::Status Reference(std::string& out) {
    size_t semi = in_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > 12) return Fail("malformed reference");
    std::string_view ref = in_.substr(pos_ + 1, semi - pos_ - 1);
    pos_ = semi + 1;
    if (ref == "amp") {
      out.push_back('&');
    } else if (ref == "lt") {
      out.push_back('<');
    } else if (ref == "gt") {
      out.push_back('>');
    } else if (ref == "quot") {
      out.push_back('"');
    } else if (ref == "apos") {
      out.push_back('\'');
    } else if (ref.size() >= 2 && ref[0] == '#') {
      bool hex = ref[1] == 'x';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty()) return Fail("empty character reference");
      uint32_t cp = 0;
      for (char c : digits) {
        int d;
        if (c >= '0' && c <= '9') {
          d = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          d = c - 'a' + 10;
        } else if (hex && c >= 'A' && c <= 'F') {
          d = c - 'A' + 10;
        } else {
          return Fail("bad digit in character reference");
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
        if (cp > 0x10FFFF) return Fail("character reference out of range");
      }
      if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return Fail("invalid character reference");
      core::AppendUtf8(out, cp);
    } else {
      return Fail("unknown entity");
    }
    return core::OkStatus();
  }

  core::Status Attributes() {
    while (true) {
      bool had_space = !AtEnd() && IsSpace(Peek());
      SkipSpace();
      if (AtEnd()) return Fail("unterminated start tag");
      if (Peek() == '>' || Peek() == '/') return core::OkStatus();
      if (!had_space) return Fail("attributes must be separated by whitespace");
      BEDROCK_TRY(Name());
      SkipSpace();
      if (AtEnd() || Peek() != '=') return Fail("expected '=' after attribute name");
      ++pos_;
      SkipSpace();
      if (AtEnd() || (Peek() != '"' && Peek() != '\'')) return Fail("expected a quoted value");
      char quote = Peek();
      ++pos_;
      std::string ignored;
      while (true) {
        if (AtEnd()) return Fail("unterminated attribute value");
        char c = Peek();
        if (c == quote) break;
        if (c == '<') return Fail("'<' in attribute value");
        if (c == '&') {
          BEDROCK_TRY(Reference(ignored));
        } else {
          ++pos_;
        }
      }
      ++pos_;
    }
  }

  // At '<' of a start tag.
  core::Status Element(XmlElement& element, int depth) {
    if (depth > kMaxXmlDepth) return Fail("nested too deeply");
    if (++elements_ > kMaxXmlElements) return Fail("too many elements");
    ++pos_;
    auto name = Name();
    if (!name.ok()) return name.error();
    element.name = std::string(LocalName(*name));
    BEDROCK_TRY(Attributes());
    if (Peek() == '/') {
      ++pos_;
      if (AtEnd() || Peek() != '>') return Fail("expected '>' after '/'");
      ++pos_;
      return core::OkStatus();
    }
    ++pos_;  // '>'
    while (true) {
      if (AtEnd()) return Fail("unclosed element <" + std::string(*name) + ">");
      char c = Peek();
      if (c == '<') {
        if (StartsWith("</")) {
          pos_ += 2;
          auto end_name = Name();
          if (!end_name.ok()) return end_name.error();
          if (*end_name != *name) return Fail("mismatched end tag");
          SkipSpace();
          if (AtEnd() || Peek() != '>') return Fail("expected '>' in end tag");
          ++pos_;
          return core::OkStatus();
        }
        if (StartsWith("<!--")) {
          BEDROCK_TRY(Comment());
        } else if (StartsWith("<![CDATA[")) {
          pos_ += 9;
          size_t at = in_.find("]]>", pos_);
          if (at == std::string_view::npos) return Fail("unterminated CDATA section");
          element.text.append(in_.substr(pos_, at - pos_));
          pos_ = at + 3;
        } else if (StartsWith("<?")) {
          BEDROCK_TRY(SkipPast("?>", "unterminated processing instruction"));
        } else if (StartsWith("<!")) {
          return Fail("declarations are not accepted inside elements");
        } else {
          element.children.emplace_back();
          BEDROCK_TRY(Element(element.children.back(), depth + 1));
        }
      } else if (c == '&') {
        BEDROCK_TRY(Reference(element.text));
      } else {
        if (c == '>' && StartsWith(">") && pos_ >= 2 && in_.substr(pos_ - 2, 2) == "]]") {
          return Fail("']]>' in character data");
        }
        element.text.push_back(c);
        ++pos_;
      }
    }
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t elements_ = 0;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const auto& c : children) {
    if (c.name == child_name) return &c;
  }
  return nullptr;
}

const XmlElement* XmlElement::FindPath(std::initializer_list<std::string_view> path) const {
  const XmlElement* at = this;
  for (auto step : path) {
    at = at->Child(step);
    if (at == nullptr) return nullptr;
  }
  return at;
}

std::string_view XmlElement::ChildText(std::string_view child_name) const {
  const XmlElement* c = Child(child_name);
  return c ? Trim(c->text) : std::string_view();
}

core::Result<XmlElement> ParseXml(std::string_view document) {
  if (document.size() > kMaxXmlBytes) {
    return core::Error::PayloadTooLarge("XML document of {} bytes is over the {} byte limit",
                                        document.size(), kMaxXmlBytes);
  }
  // A UTF-8 byte order mark is allowed.
  if (document.starts_with("\xEF\xBB\xBF")) document.remove_prefix(3);
  return Parser(document).Document();
}

}  // namespace bedrock::aws::internal
