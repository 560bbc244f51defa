// A small, strict XML reader for the few AWS query-protocol responses we consume (STS
// AssumeRole / AssumeRoleWithWebIdentity results and <ErrorResponse>). It builds a tree of
// elements with their text; it is not a general XML parser.
//
//   auto root = BEDROCK_TRY(internal::ParseXml(body));
//   const XmlElement* creds = root.FindPath({"AssumeRoleResult", "Credentials"});
//   std::string_view key = creds->ChildText("AccessKeyId");
//
// Accepted: an optional <?xml ...?> declaration and other processing instructions, comments,
// elements with attributes (ignored, but checked for syntax), self-closing elements, character
// data with the five predefined entities and numeric character references (emitted as UTF-8),
// CDATA sections. Namespace prefixes are stripped from element names ("a:Foo" is "Foo").
// Refused (kInvalidArgument): DOCTYPE (so no entity expansion), mismatched or unclosed tags,
// unknown entities, more than one root, text outside the root, input over kMaxXmlBytes or nested
// deeper than kMaxXmlDepth, more than kMaxXmlElements elements.
//
// Thread-safety: pure functions and value types.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::aws::internal {

inline constexpr size_t kMaxXmlBytes = 1 << 20;
inline constexpr int kMaxXmlDepth = 32;
inline constexpr size_t kMaxXmlElements = 10'000;

struct XmlElement {
  std::string name;  // local name, without namespace prefix
  std::string text;  // the element's own character data, concatenated, untrimmed
  std::vector<XmlElement> children;

  // The first child named `name`, or null.
  const XmlElement* Child(std::string_view name) const;
  // Descends through the first child of each name in turn; null when one is missing.
  const XmlElement* FindPath(std::initializer_list<std::string_view> path) const;
  // The trimmed text of the first child named `name`; empty when there is none.
  std::string_view ChildText(std::string_view name) const;
};

// Parses a whole document and returns its root element.
core::Result<XmlElement> ParseXml(std::string_view document);

}  // namespace bedrock::aws::internal
