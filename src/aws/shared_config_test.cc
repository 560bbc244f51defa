#include "aws/shared_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace bedrock::aws {
namespace {

using Props = std::map<std::string, std::string>;
using ProfileMap = std::map<std::string, Props>;

ProfileMap Flatten(const std::map<std::string, Profile>& profiles) {
  ProfileMap out;
  for (const auto& [name, p] : profiles) out[name] = p.properties;
  return out;
}

// Parses both files and merges them; fails the test on a parse error.
ProfileSet Load(std::string_view config, std::string_view credentials = "") {
  auto c = ParseSharedConfigFile(config, SharedFileKind::kConfig, "config");
  auto k = ParseSharedConfigFile(credentials, SharedFileKind::kCredentials, "credentials");
  EXPECT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_TRUE(k.ok()) << k.error().ToString();
  if (!c.ok() || !k.ok()) return {};
  return MergeProfileFiles(*c, *k);
}

ProfileMap Profiles(std::string_view config, std::string_view credentials = "") {
  return Flatten(Load(config, credentials).profiles);
}

std::string ConfigError(std::string_view config) {
  auto r = ParseSharedConfigFile(config, SharedFileKind::kConfig, "config");
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.error().code(), core::ErrorCode::kInvalidArgument);
  return r.error().message();
}

TEST(SharedConfigTest, EmptyFileHasNoProfiles) { EXPECT_TRUE(Profiles("").empty()); }

TEST(SharedConfigTest, EmptyProfileHasNoProperties) {
  EXPECT_EQ(Profiles("[profile foo]"), (ProfileMap{{"foo", {}}}));
}

TEST(SharedConfigTest, ProfileNamesAllowTheSdkCharacterSet) {
  EXPECT_EQ(Profiles("[profile a-b:c/d_e%f.g@h+]\n[profile x!y]"),
            (ProfileMap{{"a-b:c/d_e%f.g@h+", {}}}));
}

TEST(SharedConfigTest, UnterminatedProfileIsAnErrorWithFileAndLine) {
  EXPECT_EQ(ConfigError("\n[profile foo"), "config:2: Profile definition must end with ']'");
}

TEST(SharedConfigTest, ProfileNameIsTrimmedAndTabSeparated) {
  EXPECT_EQ(Profiles("[profile \tfoo \t]\n[profile\tbar]\n[   profile baz    ]"),
            (ProfileMap{{"foo", {}}, {"bar", {}}, {"baz", {}}}));
}

TEST(SharedConfigTest, PropertyOutsideAProfileIsAnError) {
  EXPECT_NE(ConfigError("name = value").find("config:1: Expected a profile definition"),
            std::string::npos);
}

TEST(SharedConfigTest, PropertiesAreTrimmedAndKeysLowerCased) {
  EXPECT_EQ(
      Profiles("[profile foo]\r\nName \t=  \tva=lue \t\r\nname2 =\nEMOJI = \xf0\x9f\x98\x82"),
      (ProfileMap{{"foo", {{"name", "va=lue"}, {"name2", ""}, {"emoji", "\xf0\x9f\x98\x82"}}}}));
}

TEST(SharedConfigTest, PropertyWithoutNameIsAnError) {
  EXPECT_EQ(ConfigError("[profile foo]\n= value"), "config:2: Property did not have a name");
}

TEST(SharedConfigTest, PropertyWithoutEqualsIsAnError) {
  EXPECT_EQ(ConfigError("[profile foo]\nkey : value"),
            "config:2: Expected an '=' sign defining a property");
}

TEST(SharedConfigTest, ErrorsDoNotEchoTheLine) {
  std::string error = ConfigError("aws_secret_access_key = SECRET");
  EXPECT_EQ(error.find("SECRET"), std::string::npos);
}

TEST(SharedConfigTest, BlankLinesAndCommentLinesAreIgnored) {
  EXPECT_EQ(Profiles("\t \n# c\n; c\n[profile foo]\n\t\n \nname = value\n\t \n[profile bar]\n \t"),
            (ProfileMap{{"foo", {{"name", "value"}}}, {"bar", {}}}));
}

TEST(SharedConfigTest, CommentsAfterWhitespaceEndAValue) {
  EXPECT_EQ(Profiles("[profile foo] # c\na = 1 # c # d\nb = 2 ; c ; d\nc = 3\t;\n"),
            (ProfileMap{{"foo", {{"a", "1"}, {"b", "2"}, {"c", "3"}}}}));
}

TEST(SharedConfigTest, CommentsAdjacentToAValueArePartOfIt) {
  EXPECT_EQ(Profiles("[profile foo]\na = v;x\nb = v#y"),
            (ProfileMap{{"foo", {{"a", "v;x"}, {"b", "v#y"}}}}));
}

TEST(SharedConfigTest, CommentsMayFollowAProfileDirectly) {
  EXPECT_EQ(Profiles("[profile foo];c\n[profile bar]#c\n[profile baz];"),
            (ProfileMap{{"foo", {}}, {"bar", {}}, {"baz", {}}}));
}

TEST(SharedConfigTest, ContinuationLinesAppendTrimmedWithNewlines) {
  EXPECT_EQ(Profiles("[profile foo]\nname = value\n -continued\n \t -and # not a comment \t"),
            (ProfileMap{{"foo", {{"name", "value\n-continued\n-and # not a comment"}}}}));
}

TEST(SharedConfigTest, ContinuationOutsideAProfileIsAnError) {
  EXPECT_EQ(ConfigError(" -continued"),
            "config:1: Expected a profile definition, found continuation");
}

TEST(SharedConfigTest, ContinuationOutsideAPropertyIsAnError) {
  EXPECT_EQ(ConfigError("[profile foo]\n -continued"),
            "config:2: Expected a property definition, found continuation");
}

TEST(SharedConfigTest, AProfileLineEndsTheContinuedProperty) {
  EXPECT_EQ(ConfigError("[profile foo]\nname = value\n[profile foo]\n -continued"),
            "config:4: Expected a property definition, found continuation");
}

TEST(SharedConfigTest, IndentedCommentIsAContinuation) {
  EXPECT_EQ(Profiles("[profile foo]\nname = value\n  # more"),
            (ProfileMap{{"foo", {{"name", "value\n# more"}}}}));
}

TEST(SharedConfigTest, RepeatedProfilesMergeAndLastValueWins) {
  EXPECT_EQ(Profiles("[profile foo]\nname = a\nx = 1\n[profile foo]\nNAME = b\ny = 2\nname = c"),
            (ProfileMap{{"foo", {{"name", "c"}, {"x", "1"}, {"y", "2"}}}}));
}

TEST(SharedConfigTest, PrefixedDefaultWinsOverUnprefixedInEitherOrder) {
  EXPECT_EQ(Profiles("[profile default]\na = 1\n[default]\nb = 2"),
            (ProfileMap{{"default", {{"a", "1"}}}}));
  EXPECT_EQ(Profiles("[default]\nb = 2\n[profile default]\na = 1"),
            (ProfileMap{{"default", {{"a", "1"}}}}));
  EXPECT_EQ(Profiles("[profile default]\na = 1\n[default]\nb = 2\n[profile default]\nc = 3"),
            (ProfileMap{{"default", {{"a", "1"}, {"c", "3"}}}}));
}

TEST(SharedConfigTest, UnprefixedDefaultAloneIsTheDefaultProfile) {
  EXPECT_EQ(Profiles("[default]\nregion = us-east-1"),
            (ProfileMap{{"default", {{"region", "us-east-1"}}}}));
}

TEST(SharedConfigTest, InvalidProfileNamesAreIgnoredWithTheirProperties) {
  ProfileSet set =
      Load("[profile foo]\na = 1\n[profile in valid]\nx = 1\n -cont\n[profile bar]\nb = 2",
           "[in valid 2]\ny = 2");
  EXPECT_EQ(Flatten(set.profiles), (ProfileMap{{"foo", {{"a", "1"}}}, {"bar", {{"b", "2"}}}}));
  ASSERT_EQ(set.warnings.size(), 2u);
  EXPECT_EQ(set.warnings[0].file, "config");
  EXPECT_EQ(set.warnings[0].line, 3);
  EXPECT_EQ(set.warnings[1].file, "credentials");
}

TEST(SharedConfigTest, InvalidPropertyNamesAreIgnored) {
  EXPECT_EQ(Profiles("[profile foo]\nin valid = value\n -cont\nok = 1"),
            (ProfileMap{{"foo", {{"ok", "1"}}}}));
}

TEST(SharedConfigTest, AllValidPropertyCharactersAreKept) {
  EXPECT_EQ(Profiles("[profile foo]\nABCxyz019-_/.%@:+ = value"),
            (ProfileMap{{"foo", {{"abcxyz019-_/.%@:+", "value"}}}}));
}

TEST(SharedConfigTest, SubPropertiesAreKeptAndParsed) {
  ProfileSet set =
      Load("[profile foo]\ns3 =\n  max_concurrent_requests = 20\n\t \n  Addressing_Style =\n");
  const Profile* p = set.FindProfile("foo");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->Get("S3"), "\nmax_concurrent_requests = 20\nAddressing_Style =");
  EXPECT_EQ(p->SubProperties("s3"),
            (Props{{"max_concurrent_requests", "20"}, {"addressing_style", ""}}));
  EXPECT_TRUE(p->SubProperties("absent").empty());
}

TEST(SharedConfigTest, SubPropertyWithoutEqualsIsAnError) {
  EXPECT_EQ(ConfigError("[profile foo]\ns3 =\n invalid"),
            "config:3: Expected an '=' sign defining a sub-property");
}

TEST(SharedConfigTest, SubPropertyWithoutNameIsAnError) {
  EXPECT_EQ(ConfigError("[profile foo]\ns3 =\n = value"),
            "config:3: Sub-property did not have a name");
}

TEST(SharedConfigTest, SubPropertyNamesAreNotValidated) {
  EXPECT_EQ(Profiles("[profile foo]\ns3 =\n in valid = value"),
            (ProfileMap{{"foo", {{"s3", "\nin valid = value"}}}}));
}

TEST(SharedConfigTest, FilesMergeAndCredentialsWin) {
  EXPECT_EQ(Profiles("[profile foo]\nname = value\nregion = r", "[foo]\nname = value2\nsecret = s"),
            (ProfileMap{{"foo", {{"name", "value2"}, {"region", "r"}, {"secret", "s"}}}}));
}

TEST(SharedConfigTest, DefaultFromBothFilesMerges) {
  EXPECT_EQ(Profiles("[profile default]\na = 1\n[default]\nb = 2", "[default]\nsecret = s"),
            (ProfileMap{{"default", {{"a", "1"}, {"secret", "s"}}}}));
}

TEST(SharedConfigTest, ConfigSectionsWithoutPrefixAreIgnored) {
  EXPECT_TRUE(Profiles("[foo]\nname = value\n[profilefoo]\nx = 1").empty());
}

TEST(SharedConfigTest, CredentialsSectionsWithPrefixAreIgnored) {
  EXPECT_EQ(Profiles("", "[profile foo]\nname = value\n[   bar    ]\nb = 1"),
            (ProfileMap{{"bar", {{"b", "1"}}}}));
}

TEST(SharedConfigTest, SsoSessionsAreTheirOwnSections) {
  ProfileSet set = Load(
      "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
      "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n",
      "[sso-sessionfoo]\nname = value");
  EXPECT_EQ(Flatten(set.sso_sessions),
            (ProfileMap{{"corp",
                         {{"sso_start_url", "https://corp.awsapps.com/start"},
                          {"sso_region", "eu-west-1"}}}}));
  EXPECT_TRUE(set.profiles.contains("dev"));
  EXPECT_TRUE(set.profiles.contains("sso-sessionfoo"));  // an ordinary name in credentials
  ASSERT_NE(set.FindSsoSession("corp"), nullptr);
  EXPECT_EQ(set.FindSsoSession("corp")->Get("sso_region"), "eu-west-1");
}

TEST(SharedConfigTest, ServicesSectionsAreKept) {
  ProfileSet set =
      Load("[services local]\nbedrock_runtime =\n  endpoint_url = http://127.0.0.1:8080\n");
  ASSERT_TRUE(set.services.contains("local"));
  EXPECT_EQ(set.services.at("local").SubProperties("bedrock_runtime").at("endpoint_url"),
            "http://127.0.0.1:8080");
}

TEST(SharedConfigTest, OversizedFileIsRejected) {
  std::string big(kMaxSharedConfigFileSize + 1, '#');
  auto r = ParseSharedConfigFile(big, SharedFileKind::kConfig, "config");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kPayloadTooLarge);
}

TEST(SharedConfigTest, LoadProfileFilesTreatsMissingFilesAsEmpty) {
  auto dir = std::filesystem::temp_directory_path() /
             ("bedrock_aws_shared_config_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "credentials") << "[default]\naws_access_key_id = AKID\n"; }
  auto set = LoadProfileFiles((dir / "missing-config").string(), (dir / "credentials").string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  EXPECT_EQ(Flatten(set->profiles), (ProfileMap{{"default", {{"aws_access_key_id", "AKID"}}}}));
}

TEST(SharedConfigTest, LoadProfileFilesReportsParseErrorsWithThePath) {
  auto dir = std::filesystem::temp_directory_path() /
             ("bedrock_aws_shared_config_err_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "config") << "[profile a]\n\n[broken\n"; }
  auto set = LoadProfileFiles((dir / "config").string(), (dir / "credentials").string());
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().message(),
            (dir / "config").string() + ":3: Profile definition must end with ']'");
}

}  // namespace
}  // namespace bedrock::aws
