#include "gateway/auth.h"

#include <gtest/gtest.h>

namespace bedrock::gateway {
namespace {

AuthConfig Config() {
  AuthConfig config;
  config.keys.push_back(ApiKeyConfig{"shared-secret", std::nullopt, "shared"});
  config.keys.push_back(ApiKeyConfig{"alice-secret", "alice", "alice"});
  config.keys.push_back(ApiKeyConfig{"third", std::nullopt, "third"});
  return config;
}

http::Headers Bearer(std::string key) { return {{"Authorization", "Bearer " + key}}; }

TEST(AuthenticatorTest, MissingHeaderIsNotAuthenticated) {
  Authenticator auth(Config());
  auto principal = auth.Authenticate({});
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_EQ(principal.error().message(), kNotAuthenticated);
}

TEST(AuthenticatorTest, OtherSchemeIsInvalidCredentials) {
  Authenticator auth(Config());
  auto principal = auth.Authenticate({{"Authorization", "Basic c2hhcmVkLXNlY3JldA=="}});
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.error().message(), kInvalidScheme);
}

TEST(AuthenticatorTest, EmptyBearerIsInvalidCredentials) {
  Authenticator auth(Config());
  EXPECT_EQ(auth.Authenticate({{"Authorization", "Bearer "}}).error().message(), kInvalidScheme);
}

TEST(AuthenticatorTest, WrongKeyCannotBeValidated) {
  Authenticator auth(Config());
  auto principal = auth.Authenticate(Bearer("shared-secreT"));
  ASSERT_FALSE(principal.ok());
  EXPECT_EQ(principal.error().message(), kInvalidKey);
  EXPECT_EQ(principal.error().message().find("secre"), std::string::npos);
}

TEST(AuthenticatorTest, SchemeIsCaseInsensitive) {
  Authenticator auth(Config());
  EXPECT_TRUE(auth.Authenticate({{"Authorization", "bearer shared-secret"}}).ok());
}

TEST(AuthenticatorTest, SharedKeyTakesTheUserFromTheHeader) {
  Authenticator auth(Config());
  auto headers = Bearer("shared-secret");
  headers.Add("X-User-ID", "bob");
  auto principal = auth.Authenticate(headers);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->user_id, "bob");
  EXPECT_FALSE(principal->bound);
  EXPECT_EQ(principal->key_name, "shared");
}

TEST(AuthenticatorTest, BoundKeyIgnoresTheHeader) {
  Authenticator auth(Config());
  auto headers = Bearer("alice-secret");
  headers.Add("X-User-ID", "bob");
  auto principal = auth.Authenticate(headers);
  ASSERT_TRUE(principal.ok());
  EXPECT_EQ(principal->user_id, "alice");
  EXPECT_TRUE(principal->bound);
}

TEST(AuthenticatorTest, SharedKeyWithoutHeaderIsAUserDerivedFromTheKey) {
  Authenticator auth(Config());
  auto first = auth.Authenticate(Bearer("shared-secret"));
  auto second = auth.Authenticate(Bearer("third"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->user_id.starts_with("key-"));
  EXPECT_EQ(first->user_id.size(), 20u);
  EXPECT_EQ(first->user_id.find("shared-secret"), std::string::npos);
  EXPECT_NE(first->user_id, second->user_id);
  EXPECT_EQ(first->user_id, auth.Authenticate(Bearer("shared-secret"))->user_id);
}

TEST(AuthenticatorTest, ControlCharactersInUserIdAreRefused) {
  Authenticator auth(Config());
  auto headers = Bearer("shared-secret");
  headers.Add("X-User-ID", "bob\x01");
  EXPECT_EQ(auth.Authenticate(headers).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(AuthenticatorTest, OverlongUserIdIsRefused) {
  Authenticator auth(Config());
  auto headers = Bearer("shared-secret");
  headers.Add("X-User-ID", std::string(129, 'u'));
  EXPECT_EQ(auth.Authenticate(headers).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(AuthenticatorTest, EveryKeyIsComparedWhateverMatches) {
  int comparisons = 0;
  Authenticator auth(Config(), [&](const Authenticator::Digest& a, const Authenticator::Digest& b) {
    ++comparisons;
    return DigestsEqual(a, b);
  });
  ASSERT_TRUE(auth.Authenticate(Bearer("shared-secret")).ok());  // the first key
  EXPECT_EQ(comparisons, 3);
  comparisons = 0;
  ASSERT_FALSE(auth.Authenticate(Bearer("nope")).ok());
  EXPECT_EQ(comparisons, 3);
}

TEST(AuthenticatorTest, KeysAreComparedAsDigestsInConstantTime) {
  EXPECT_TRUE(DigestsEqual(Sha256("abc"), Sha256("abc")));
  EXPECT_FALSE(DigestsEqual(Sha256("abc"), Sha256("abd")));
  // Different lengths compare as equal-length digests: the length of a key does not show.
  EXPECT_EQ(Sha256("a").size(), Sha256(std::string(1000, 'a')).size());
}

TEST(AuthenticatorTest, NoKeysRefusesEveryone) {
  Authenticator auth(AuthConfig{});
  EXPECT_EQ(auth.Authenticate(Bearer("anything")).error().message(), kInvalidKey);
}

TEST(AuthenticatorTest, NoKeysWithUnauthenticatedAllowedLetsEveryoneIn) {
  AuthConfig config;
  config.allow_unauthenticated = true;
  Authenticator auth(config);
  EXPECT_TRUE(auth.open());
  EXPECT_EQ(auth.Authenticate({})->user_id, "anonymous");
  EXPECT_EQ(auth.Authenticate({{"X-User-ID", "carol"}})->user_id, "carol");
}

}  // namespace
}  // namespace bedrock::gateway
