#include "aws/credential_chain.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <set>

namespace bedrock::aws {
namespace {

std::optional<std::string> NonEmpty(const core::Env& env, std::string_view name) {
  auto value = env.Get(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

std::optional<std::string> FirstSet(const core::Env& env,
                                    std::initializer_list<std::string_view> names) {
  for (auto name : names) {
    if (auto v = NonEmpty(env, name)) return v;
  }
  return std::nullopt;
}

std::string ExpandHome(const std::string& path, const core::Env& env) {
  if (path.empty() || path[0] != '~') return path;
  if (path.size() > 1 && path[1] != '/') return path;  // "~user" is not expanded
  auto home = FirstSet(env, {"HOME", "USERPROFILE"});
  return home ? *home + path.substr(1) : path;
}

std::string Get(const Profile& p, std::string_view key) { return p.Get(key).value_or(""); }

bool HasStatic(const Profile& p) {
  return !Get(p, "aws_access_key_id").empty() && !Get(p, "aws_secret_access_key").empty();
}

}  // namespace

core::Result<std::optional<Credentials>> CredentialsFromEnvironment(const core::Env& env) {
  auto id = FirstSet(env, {"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"});
  auto secret = FirstSet(env, {"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"});
  if (!id && !secret) return std::optional<Credentials>();
  if (!id) {
    return core::Error::InvalidArgument(
        "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  }
  if (!secret) {
    return core::Error::InvalidArgument(
        "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  Credentials creds;
  creds.access_key_id = *id;
  creds.secret_access_key = *secret;
  creds.session_token = NonEmpty(env, "AWS_SESSION_TOKEN").value_or("");
  if (auto expiration = NonEmpty(env, "AWS_CREDENTIAL_EXPIRATION")) {
    auto parsed = ParseRfc3339(*expiration);
    if (!parsed) {
      return core::Error::InvalidArgument("AWS_CREDENTIAL_EXPIRATION '{}' is not an RFC 3339 time",
                                          expiration->substr(0, 64));
    }
    creds.expiration = parsed;
  }
  return std::optional<Credentials>(std::move(creds));
}

std::optional<std::string> BedrockBearerToken(const core::Env& env) {
  return NonEmpty(env, "AWS_BEARER_TOKEN_BEDROCK");
}

std::string ProfileNameFromEnv(const core::Env& env) {
  return FirstSet(env, {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"}).value_or("default");
}

SharedConfigPaths SharedConfigPathsFromEnv(const core::Env& env) {
  SharedConfigPaths paths;
  paths.config = ExpandHome(NonEmpty(env, "AWS_CONFIG_FILE").value_or("~/.aws/config"), env);
  paths.credentials =
      ExpandHome(NonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
  return paths;
}

std::optional<std::string> ResolveRegion(const core::Env& env, const ProfileSet* profiles,
                                         std::string_view profile_name) {
  if (auto region = FirstSet(env, {"AWS_REGION", "AWS_DEFAULT_REGION"})) return region;
  if (profiles != nullptr) {
    if (const Profile* p = profiles->FindProfile(profile_name)) {
      if (auto region = p->Get("region"); region && !region->empty()) return region;
    }
  }
  return std::nullopt;
}

std::optional<std::string> EndpointUrlFromEnv(const core::Env& env, std::string_view service_id) {
  auto ignore = env.Get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (ignore && (*ignore == "true" || *ignore == "TRUE" || *ignore == "True")) return std::nullopt;
  std::string name = "AWS_ENDPOINT_URL_";
  for (char c : service_id) {
    if (c == ' ' || c == '-') {
      name.push_back('_');
    } else if (c >= 'a' && c <= 'z') {
      name.push_back(static_cast<char>(c - 'a' + 'A'));
    } else {
      name.push_back(c);
    }
  }
  if (auto url = NonEmpty(env, name)) return url;
  return NonEmpty(env, "AWS_ENDPOINT_URL");
}

// --- Plans ---

namespace {

class Planner {
 public:
  explicit Planner(const ProfileSet& profiles) : profiles_(profiles) {}

  core::Result<ProfileCredentialPlan> Plan(std::string_view name) {
    ProfileCredentialPlan plan;
    BEDROCK_TRY(Resolve(std::string(name), plan, /*as_source=*/false));
    return plan;
  }

 private:
  core::Status Resolve(const std::string& name, ProfileCredentialPlan& plan, bool as_source) {
    const Profile* p = profiles_.FindProfile(name);
    if (p == nullptr) {
      if (chain_.empty()) return core::Error::NotFound("profile '{}' does not exist", name);
      return core::Error::InvalidArgument(
          "source_profile '{}' referenced by profile '{}' does not exist", name, chain_.back());
    }
    // A source profile with static keys provides them, whatever else it sets.
    if (as_source && HasStatic(*p)) return Static(*p, plan);

    std::string role_arn = Get(*p, "role_arn");
    std::string source = Get(*p, "source_profile");
    std::string credential_source = Get(*p, "credential_source");
    if (!role_arn.empty() && (!source.empty() || !credential_source.empty())) {
      if (!source.empty() && !credential_source.empty()) {
        return core::Error::InvalidArgument(
            "profile '{}' sets both source_profile and credential_source", name);
      }
      AssumeRoleStep step = RoleStep(*p);
      if (!source.empty()) {
        if (source == name ? !HasStatic(*p) : visited_.contains(source)) {
          std::string cycle;
          for (const auto& c : chain_) cycle += c + " -> ";
          return core::Error::InvalidArgument("profile chain has a cycle: {}{} -> {}", cycle, name,
                                              source);
        }
        visited_.insert(name);
        chain_.push_back(name);
        if (source == name) {
          BEDROCK_TRY(Static(*p, plan));  // a profile may name itself to use its own keys
        } else {
          BEDROCK_TRY(Resolve(source, plan, /*as_source=*/true));
        }
        chain_.pop_back();
      } else {
        BEDROCK_TRY(CredentialSource(*p, credential_source, plan));
      }
      plan.roles.push_back(std::move(step));
      return core::OkStatus();
    }
    if (HasStatic(*p)) return Static(*p, plan);
    if (!role_arn.empty() && !Get(*p, "web_identity_token_file").empty()) {
      plan.base = CredentialBase{.kind = CredentialBase::Kind::kWebIdentity, .profile = name};
      plan.base.role_arn = role_arn;
      plan.base.web_identity_token_file = Get(*p, "web_identity_token_file");
      plan.base.role_session_name = Get(*p, "role_session_name");
      return core::OkStatus();
    }
    if (!Get(*p, "credential_process").empty()) {
      plan.base = CredentialBase{.kind = CredentialBase::Kind::kProcess, .profile = name};
      plan.base.credential_process = Get(*p, "credential_process");
      return core::OkStatus();
    }
    if (!Get(*p, "sso_session").empty() || !Get(*p, "sso_start_url").empty()) return Sso(*p, plan);
    if (as_source && !credential_source.empty()) {
      return CredentialSource(*p, credential_source, plan);
    }
    if (!role_arn.empty()) {
      return core::Error::InvalidArgument(
          "profile '{}' has role_arn but no source_profile, credential_source or "
          "web_identity_token_file",
          name);
    }
    if (!Get(*p, "aws_access_key_id").empty() || !Get(*p, "aws_secret_access_key").empty()) {
      return core::Error::InvalidArgument(
          "profile '{}' needs both aws_access_key_id and aws_secret_access_key", name);
    }
    return core::Error::InvalidArgument("profile '{}' does not configure any credentials", name);
  }

  static core::Status Static(const Profile& p, ProfileCredentialPlan& plan) {
    plan.base = CredentialBase{.kind = CredentialBase::Kind::kStatic, .profile = p.name};
    plan.base.static_credentials.access_key_id = Get(p, "aws_access_key_id");
    plan.base.static_credentials.secret_access_key = Get(p, "aws_secret_access_key");
    plan.base.static_credentials.session_token = Get(p, "aws_session_token");
    return core::OkStatus();
  }

  static core::Status CredentialSource(const Profile& p, std::string_view source,
                                       ProfileCredentialPlan& plan) {
    CredentialBase::Kind kind;
    if (source == "Environment") {
      kind = CredentialBase::Kind::kEnvironment;
    } else if (source == "Ec2InstanceMetadata") {
      kind = CredentialBase::Kind::kEc2InstanceMetadata;
    } else if (source == "EcsContainer") {
      kind = CredentialBase::Kind::kEcsContainer;
    } else {
      return core::Error::InvalidArgument(
          "profile '{}' has unsupported credential_source '{}' (expected Environment, "
          "Ec2InstanceMetadata or EcsContainer)",
          p.name, source.substr(0, 64));
    }
    plan.base = CredentialBase{.kind = kind, .profile = p.name};
    return core::OkStatus();
  }

  core::Status Sso(const Profile& p, ProfileCredentialPlan& plan) {
    CredentialBase base{.kind = CredentialBase::Kind::kSso, .profile = p.name};
    base.sso_account_id = Get(p, "sso_account_id");
    base.sso_role_name = Get(p, "sso_role_name");
    base.sso_session = Get(p, "sso_session");
    if (!base.sso_session.empty()) {
      const Profile* session = profiles_.FindSsoSession(base.sso_session);
      if (session == nullptr) {
        return core::Error::InvalidArgument(
            "profile '{}' refers to sso-session '{}' which does not exist", p.name,
            base.sso_session);
      }
      base.sso_start_url = Get(*session, "sso_start_url");
      base.sso_region = Get(*session, "sso_region");
      // The profile may repeat them; they must then agree.
      for (const char* key : {"sso_start_url", "sso_region"}) {
        std::string in_profile = Get(p, key);
        std::string in_session = Get(*session, key);
        if (!in_profile.empty() && in_profile != in_session) {
          return core::Error::InvalidArgument(
              "profile '{}' sets {} differently from its sso-session '{}'", p.name, key,
              base.sso_session);
        }
      }
    } else {
      base.sso_start_url = Get(p, "sso_start_url");
      base.sso_region = Get(p, "sso_region");
    }
    std::vector<std::string> missing;
    if (base.sso_start_url.empty()) missing.push_back("sso_start_url");
    if (base.sso_region.empty()) missing.push_back("sso_region");
    if (base.sso_account_id.empty()) missing.push_back("sso_account_id");
    if (base.sso_role_name.empty()) missing.push_back("sso_role_name");
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      return core::Error::InvalidArgument("SSO profile '{}' is missing {}", p.name, list);
    }
    plan.base = std::move(base);
    return core::OkStatus();
  }

  static AssumeRoleStep RoleStep(const Profile& p) {
    AssumeRoleStep step;
    step.profile = p.name;
    step.role_arn = Get(p, "role_arn");
    step.role_session_name = Get(p, "role_session_name");
    step.external_id = Get(p, "external_id");
    step.mfa_serial = Get(p, "mfa_serial");
    std::string duration = Get(p, "duration_seconds");
    if (!duration.empty()) {
      int value = 0;
      bool ok = duration.size() <= 6;
      for (char c : duration) {
        if (c < '0' || c > '9') ok = false;
        if (ok) value = value * 10 + (c - '0');
      }
      if (ok) step.duration_seconds = value;
    }
    return step;
  }

  const ProfileSet& profiles_;
  std::set<std::string> visited_;   // profiles whose source_profile is being resolved
  std::vector<std::string> chain_;  // the same, in order, for messages
};

}  // namespace

core::Result<ProfileCredentialPlan> PlanProfileCredentials(const ProfileSet& profiles,
                                                           std::string_view profile_name) {
  return Planner(profiles).Plan(profile_name);
}

// --- credential_process ---

std::optional<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view t) {
  using namespace std::chrono;
  auto digits = [&](size_t pos, size_t n) -> int {
    if (pos + n > t.size()) return -1;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  int y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2), mi = digits(14, 2),
      s = digits(17, 2);
  if (y < 0 || mo < 1 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) {
    return std::nullopt;
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  system_clock::time_point tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  size_t pos = 19;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    int64_t nanos = 0;
    int count = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (count < 9) {
        nanos = nanos * 10 + (t[pos] - '0');
        ++count;
      }
      ++pos;
    }
    if (count == 0) return std::nullopt;
    while (count++ < 9) nanos *= 10;
    tp += duration_cast<system_clock::duration>(nanoseconds(nanos));
  }
  if (pos >= t.size()) return std::nullopt;
  if ((t[pos] == 'Z' || t[pos] == 'z') && pos + 1 == t.size()) return tp;
  if ((t[pos] == '+' || t[pos] == '-') && pos + 6 == t.size() && t[pos + 3] == ':') {
    int oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return std::nullopt;
    auto offset = hours{oh} + minutes{om};
    return t[pos] == '+' ? tp - offset : tp + offset;
  }
  return std::nullopt;
}

core::Result<Credentials> ParseCredentialProcessOutput(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) {
    return core::Error::InvalidArgument("credential_process output is not a JSON object");
  }
  const auto& o = value.as_object();
  const auto* version = o.if_contains("Version");
  if (version == nullptr || !version->is_number() || version->to_number<double>() != 1) {
    return core::Error::InvalidArgument("credential_process output must have \"Version\": 1");
  }
  auto string_member = [&](const char* key, bool required) -> core::Result<std::string> {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (required) {
        return core::Error::InvalidArgument("credential_process output lacks \"{}\"", key);
      }
      return std::string();
    }
    if (!v->is_string()) {
      return core::Error::InvalidArgument("credential_process output \"{}\" is not a string", key);
    }
    return std::string(v->as_string());
  };
  Credentials creds;
  creds.access_key_id = BEDROCK_TRY(string_member("AccessKeyId", true));
  creds.secret_access_key = BEDROCK_TRY(string_member("SecretAccessKey", true));
  creds.session_token = BEDROCK_TRY(string_member("SessionToken", false));
  std::string expiration = BEDROCK_TRY(string_member("Expiration", false));
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return core::Error::InvalidArgument(
        "credential_process output has an empty AccessKeyId or SecretAccessKey");
  }
  if (!expiration.empty()) {
    creds.expiration = ParseRfc3339(expiration);
    if (!creds.expiration) {
      return core::Error::InvalidArgument(
          "credential_process output \"Expiration\" is not an RFC 3339 time");
    }
  }
  return creds;
}

// --- Expiry ---

CredentialsState EvaluateCredentials(const std::optional<Credentials>& credentials,
                                     std::chrono::system_clock::time_point now,
                                     const RefreshPolicy& policy) {
  if (!credentials || credentials->Empty()) return CredentialsState::kMissing;
  if (credentials->ExpiresWithin(now, policy.refresh_before)) {
    return CredentialsState::kRefreshNeeded;
  }
  return CredentialsState::kFresh;
}

std::optional<Credentials> CredentialsCache::Get() const {
  std::lock_guard lock(mutex_);
  if (EvaluateCredentials(credentials_, clock_.Now(), policy_) != CredentialsState::kFresh) {
    return std::nullopt;
  }
  return credentials_;
}

void CredentialsCache::Store(Credentials credentials) {
  std::lock_guard lock(mutex_);
  credentials_ = std::move(credentials);
}

void CredentialsCache::Clear() {
  std::lock_guard lock(mutex_);
  credentials_.reset();
}

CredentialsState CredentialsCache::State() const {
  std::lock_guard lock(mutex_);
  return EvaluateCredentials(credentials_, clock_.Now(), policy_);
}

}  // namespace bedrock::aws
