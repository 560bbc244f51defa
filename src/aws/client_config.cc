#include "aws/client_config.h"

#include <fmt/format.h>

namespace bedrock::aws {
namespace {

bool IsTrue(const std::optional<std::string>& value) {
  if (!value) return false;
  std::string lower;
  for (char c : *value) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  return lower == "true";
}

std::string ServiceKey(std::string_view service_id, bool upper) {
  std::string out;
  for (char c : service_id) {
    if (c == ' ' || c == '-') {
      out.push_back('_');
    } else if (upper && c >= 'a' && c <= 'z') {
      out.push_back(static_cast<char>(c - 'a' + 'A'));
    } else if (!upper && c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> NonEmpty(std::optional<std::string> value) {
  if (!value || value->empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> ResolveEndpointUrl(const core::Env& env, const ProfileSet* profiles,
                                              std::string_view profile_name,
                                              std::string_view service_id) {
  const Profile* profile = profiles ? profiles->FindProfile(profile_name) : nullptr;
  if (auto ignore = NonEmpty(env.Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
    if (IsTrue(ignore)) return std::nullopt;
  } else if (profile && IsTrue(profile->Get("ignore_configured_endpoint_urls"))) {
    return std::nullopt;
  }
  if (auto url = NonEmpty(env.Get("AWS_ENDPOINT_URL_" + ServiceKey(service_id, true)))) {
    return url;
  }
  if (profile) {
    if (auto section = NonEmpty(profile->Get("services"))) {
      auto it = profiles->services.find(*section);
      if (it != profiles->services.end()) {
        auto sub = it->second.SubProperties(ServiceKey(service_id, false));
        if (auto found = sub.find("endpoint_url"); found != sub.end() && !found->second.empty()) {
          return found->second;
        }
      }
    }
  }
  if (auto url = NonEmpty(env.Get("AWS_ENDPOINT_URL"))) return url;
  if (profile) {
    if (auto url = NonEmpty(profile->Get("endpoint_url"))) return url;
  }
  return std::nullopt;
}

std::string DefaultServiceEndpoint(std::string_view endpoint_prefix, std::string_view region) {
  std::string_view suffix = region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return fmt::format("https://{}.{}.{}", endpoint_prefix, region, suffix);
}

}  // namespace bedrock::aws
