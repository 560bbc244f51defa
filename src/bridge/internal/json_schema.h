// The small part of JSON Schema the bridge reads: a property's one declared type. Internal to
// the bridge module.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

namespace bedrock::bridge::internal {

// The member `key` when it is a string, else empty.
std::string StringMember(const boost::json::object& o, std::string_view key);

// The one non-null type a schema declares ("type": "x" or ["x", "null"]; an enum or const of
// strings is "string"; anyOf/oneOf with a single non-null branch is that branch's), else empty.
std::string SingleType(const boost::json::object& schema);

// The schema of an anyOf/oneOf's single non-null branch (when the schema has no "type"), or the
// schema itself.
const boost::json::object& EffectiveSchema(const boost::json::object& schema);

}  // namespace bedrock::bridge::internal
