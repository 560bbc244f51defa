// Client settings that the AWS SDKs read from the environment and the shared config files:
// region and service endpoint URLs.
//
//   auto profiles = BEDROCK_TRY(aws::LoadProfileFiles(paths.config, paths.credentials));
//   std::string profile = aws::ProfileNameFromEnv(env);
//   auto region = aws::ResolveRegion(env, &profiles, profile);            // credential_chain.h
//   auto url = aws::ResolveEndpointUrl(env, &profiles, profile, "Bedrock Runtime");
//
// Endpoint precedence (the SDKs' "service-specific endpoints" feature):
//   1. AWS_ENDPOINT_URL_<SERVICE> (service id upper-cased, spaces and '-' as '_')
//   2. the profile's `services` section: `<service_id> =\n  endpoint_url = ...` (service id
//      lower-cased, spaces and '-' as '_', e.g. bedrock_runtime)
//   3. AWS_ENDPOINT_URL
//   4. the profile's `endpoint_url`
// None apply when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
// ignore_configured_endpoint_urls) is true.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "aws/shared_config.h"
#include "core/env.h"

namespace bedrock::aws {

// Service ids of the SDKs' endpoint configuration ("serviceId" of the service models).
inline constexpr std::string_view kBedrockRuntimeServiceId = "Bedrock Runtime";
inline constexpr std::string_view kBedrockAgentRuntimeServiceId = "Bedrock Agent Runtime";
inline constexpr std::string_view kStsServiceId = "STS";
inline constexpr std::string_view kSsoServiceId = "SSO";

// The configured endpoint URL for `service_id`, or nullopt (use the default endpoint).
// `profiles` may be null (environment only).
std::optional<std::string> ResolveEndpointUrl(const core::Env& env, const ProfileSet* profiles,
                                              std::string_view profile_name,
                                              std::string_view service_id);

// "https://bedrock-runtime.us-east-1.amazonaws.com" for endpoint prefix "bedrock-runtime" (with
// the amazonaws.com.cn suffix for cn- regions).
std::string DefaultServiceEndpoint(std::string_view endpoint_prefix, std::string_view region);

}  // namespace bedrock::aws
