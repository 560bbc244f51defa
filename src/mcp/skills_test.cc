// Skills (SEP-2640): the SKILL.md frontmatter subset, the checks a skill passes before it is
// served, and loading skills from a directory.
#include "mcp/skills.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

namespace bedrock::mcp {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr std::string_view kSkillMd =
    "---\n"
    "name: pdf-processing\n"
    "description: 'Extract, fill: and assemble PDFs'\n"
    "license: Apache-2.0\n"
    "version: 3\n"
    "beta: false\n"
    "metadata:\n"
    "  author: \"Ada \\\"A\\\" Lovelace\"\n"
    "  io.modelcontextprotocol/skills-origin: demo\n"
    "---\n"
    "# Body\n";

std::vector<SkillFile> Files(std::string_view skill_md = kSkillMd) {
  std::vector<SkillFile> files;
  files.emplace_back("SKILL.md", std::string(skill_md));
  files.emplace_back("references/FORMS.md", "forms\n");
  return files;
}

core::Error FrontmatterError(std::string_view text) {
  auto parsed = ParseSkillFrontmatter(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? core::Error::Internal("parsed") : parsed.error();
}

TEST(SkillFrontmatterTest, ScalarsQuotesAndOneNestedMapBecomeJson) {
  auto parsed = ParseSkillFrontmatter(kSkillMd);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->at("name"), "pdf-processing");
  EXPECT_EQ(parsed->at("description"), "Extract, fill: and assemble PDFs");
  EXPECT_EQ(parsed->at("version"), 3);
  EXPECT_EQ(parsed->at("beta"), false);
  EXPECT_EQ(parsed->at("metadata").at("author"), "Ada \"A\" Lovelace");
  EXPECT_EQ(parsed->at("metadata").at("io.modelcontextprotocol/skills-origin"), "demo");
}

TEST(SkillFrontmatterTest, ByteOrderMarkAndCrLfAreAccepted) {
  auto parsed =
      ParseSkillFrontmatter("\xEF\xBB\xBF---\r\nname: a\r\ndescription: b\r\n---\r\nbody");
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->at("description"), "b");
}

TEST(SkillFrontmatterTest, MissingOpeningFenceIsRefused) {
  EXPECT_NE(FrontmatterError("name: a\n").message().find("must begin"), std::string::npos);
}

TEST(SkillFrontmatterTest, UnclosedBlockIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: b\n").message().find("not closed"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, MissingDescriptionIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\n---\n").message().find("description"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, ListsAreRefusedWithTheLine) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: b\ntags: [x, y]\n---\n")
                .message()
                .find("line 4"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, TabsAreRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: b\nmetadata:\n\tk: v\n---\n")
                .message()
                .find("tabs"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, DuplicateKeyIsRefused) {
  EXPECT_NE(
      FrontmatterError("---\nname: a\nname: b\ndescription: c\n---\n").message().find("duplicate"),
      std::string::npos);
}

TEST(SkillFrontmatterTest, UnquotedColonSpaceInAValueIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: b: c\n---\n").message().find("quote"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, UnterminatedQuoteIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\ndescription: \"b\n---\n").message().find("quote"),
            std::string::npos);
}

TEST(SkillFrontmatterTest, IndentedLineWithoutAMapIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: a\n  description: b\n---\n").message().find("outside"),
            std::string::npos);
}

std::string Frontmatter(std::string_view lines) {
  return "---\nname: a\ndescription: b\n" + std::string(lines) + "---\nbody\n";
}

// Whether the frontmatter with `lines` added is refused naming a line and `why`.
::testing::AssertionResult Refused(std::string_view lines, std::string_view why) {
  auto parsed = ParseSkillFrontmatter(Frontmatter(lines));
  if (parsed.ok()) return ::testing::AssertionFailure() << "parsed: " << json::serialize(*parsed);
  const std::string& message = parsed.error().message();
  if (message.find("frontmatter line ") == std::string::npos ||
      message.find(why) == std::string::npos) {
    return ::testing::AssertionFailure() << "refused as: " << message;
  }
  return ::testing::AssertionSuccess();
}

json::value ParsedValue(std::string_view value) {
  auto parsed = ParseSkillFrontmatter(Frontmatter("k: " + std::string(value) + "\n"));
  EXPECT_TRUE(parsed.ok()) << value << ": " << parsed.error().ToString();
  return parsed.ok() ? parsed->at("k") : json::value("<refused>");
}

// Types as a YAML 1.2 parser (the conformance suite's, a host's) gives them.
TEST(SkillFrontmatterTest, ScalarsAreTypedAsYaml12TypesThem) {
  EXPECT_EQ(ParsedValue("True"), true);
  EXPECT_EQ(ParsedValue("FALSE"), false);
  EXPECT_EQ(ParsedValue("NULL"), nullptr);
  EXPECT_EQ(ParsedValue("~"), nullptr);
  EXPECT_EQ(ParsedValue("+5"), 5);
  EXPECT_EQ(ParsedValue("-7"), -7);
  EXPECT_EQ(ParsedValue("0"), 0);
  EXPECT_EQ(ParsedValue("2.1.0"), "2.1.0");
  EXPECT_EQ(ParsedValue("https://example.com/a#b"), "https://example.com/a#b");
  EXPECT_EQ(ParsedValue("'it''s'"), "it's");
  EXPECT_EQ(ParsedValue("\"caf\\u00e9 \\x41\\/\""), "caf\xC3\xA9 A/");
  EXPECT_EQ(ParsedValue("'1.5' # quoted, so a string"), "1.5");
  EXPECT_EQ(ParsedValue("\"\\U0001F600\""), "\xF0\x9F\x98\x80");
}

TEST(SkillFrontmatterTest, KeyWithoutValueOrEntriesIsNull) {
  auto parsed = ParseSkillFrontmatter(Frontmatter("license:\nmetadata:\n  a: 1\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->at("license"), nullptr);
  EXPECT_EQ(parsed->at("metadata").at("a"), 1);
}

TEST(SkillFrontmatterTest, CommentsAndBlankLinesAreSkipped) {
  auto parsed =
      ParseSkillFrontmatter(Frontmatter("# a comment\n\nmetadata:\n  # inside\n  a: x\n"));
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->at("metadata").at("a"), "x");
}

TEST(SkillFrontmatterTest, ClosingFenceMayCarryTrailingBlanks) {
  EXPECT_TRUE(ParseSkillFrontmatter("---\nname: a\ndescription: b\n--- \t\nbody").ok());
}

TEST(SkillFrontmatterTest, IndentedOpeningFenceIsRefused) {
  EXPECT_FALSE(ParseSkillFrontmatter(" ---\nname: a\ndescription: b\n---\n").ok());
}

TEST(SkillFrontmatterTest, EmptyInputIsRefused) {
  EXPECT_NE(FrontmatterError("").message().find("must begin"), std::string::npos);
}

TEST(SkillFrontmatterTest, FloatIsRefused) {
  EXPECT_TRUE(Refused("version: 1.5\n", "non-integer number"));
}

TEST(SkillFrontmatterTest, ExponentIsRefused) {
  EXPECT_TRUE(Refused("size: 1e3\n", "non-integer number"));
}

TEST(SkillFrontmatterTest, InfinityIsRefused) {
  EXPECT_TRUE(Refused("limit: -.inf\n", "non-integer number"));
}

TEST(SkillFrontmatterTest, Yaml11BooleanIsRefused) {
  EXPECT_TRUE(Refused("beta: yes\n", "YAML 1.1"));
}

TEST(SkillFrontmatterTest, LeadingZeroIntegerIsRefused) {
  EXPECT_TRUE(Refused("mode: 0755\n", "quote '0755'"));
}

TEST(SkillFrontmatterTest, HexIntegerIsRefused) {
  EXPECT_TRUE(Refused("mask: 0xff\n", "non-decimal"));
}

TEST(SkillFrontmatterTest, IntegerBeyondTwoToThe53IsRefused) {
  EXPECT_TRUE(Refused("id: 9007199254740992\n", "quote"));
}

TEST(SkillFrontmatterTest, NegativeZeroIsRefused) { EXPECT_TRUE(Refused("n: -0\n", "quote")); }

TEST(SkillFrontmatterTest, UnderscoredNumberIsRefused) {
  EXPECT_TRUE(Refused("n: 1_000\n", "YAML 1.1"));
}

TEST(SkillFrontmatterTest, SexagesimalIsRefused) {
  EXPECT_TRUE(Refused("time: 1:30\n", "YAML 1.1"));
}

TEST(SkillFrontmatterTest, DateIsRefused) {
  EXPECT_TRUE(Refused("released: 2026-07-28\n", "date"));
}

TEST(SkillFrontmatterTest, FlowMapIsRefused) {
  EXPECT_TRUE(Refused("m: {a: 1}\n", "plain or quoted"));
}

TEST(SkillFrontmatterTest, BlockScalarIsRefused) {
  EXPECT_TRUE(Refused("long: |\n", "plain or quoted"));
}

TEST(SkillFrontmatterTest, AnchorIsRefused) {
  EXPECT_TRUE(Refused("a: &x 1\n", "plain or quoted"));
}

TEST(SkillFrontmatterTest, ValueStartingWithAHashIsRefused) {
  EXPECT_TRUE(Refused("a: #x\n", "plain or quoted"));
}

TEST(SkillFrontmatterTest, ValueEndingWithAColonIsRefused) {
  EXPECT_TRUE(Refused("a: b:\n", "end with ':'"));
}

TEST(SkillFrontmatterTest, CommentAfterAPlainValueIsRefused) {
  EXPECT_TRUE(Refused("a: b # c\n", "' #'"));
}

TEST(SkillFrontmatterTest, QuotedKeyIsRefused) { EXPECT_TRUE(Refused("\"a\": b\n", "keys")); }

TEST(SkillFrontmatterTest, KeyWithoutSpaceAfterTheColonIsRefused) {
  EXPECT_TRUE(Refused("a:b\n", "key: value"));
}

TEST(SkillFrontmatterTest, SequenceItemIsRefused) { EXPECT_TRUE(Refused("- a\n", "key: value")); }

TEST(SkillFrontmatterTest, TextAfterTheClosingQuoteIsRefused) {
  EXPECT_TRUE(Refused("a: 'b' c\n", "after the closing quote"));
}

TEST(SkillFrontmatterTest, EscapedClosingQuoteLeavesTheQuoteOpen) {
  EXPECT_TRUE(Refused("a: \"b\\\"\n", "unterminated"));
}

TEST(SkillFrontmatterTest, UnknownEscapeIsRefused) {
  EXPECT_TRUE(Refused("a: \"\\q\"\n", "unsupported escape"));
}

TEST(SkillFrontmatterTest, SurrogateEscapeIsRefused) {
  EXPECT_TRUE(Refused("a: \"\\ud800\"\n", "invalid \\u escape"));
}

TEST(SkillFrontmatterTest, ShortUnicodeEscapeIsRefused) {
  EXPECT_TRUE(Refused("a: \"\\u12\"\n", "invalid \\u escape"));
}

TEST(SkillFrontmatterTest, InvalidUtf8IsRefused) { EXPECT_TRUE(Refused("a: \xC3\x28\n", "UTF-8")); }

TEST(SkillFrontmatterTest, ControlCharacterIsRefused) {
  EXPECT_TRUE(Refused(std::string_view("a: b\0c\n", 7), "control character"));
}

TEST(SkillFrontmatterTest, MapNestedTwoLevelsIsRefused) {
  EXPECT_TRUE(Refused("metadata:\n  a:\n    b: c\n", "one level"));
}

TEST(SkillFrontmatterTest, UnevenlyIndentedEntriesAreRefused) {
  EXPECT_TRUE(Refused("metadata:\n    a: 1\n  b: 2\n", "one level"));
}

TEST(SkillFrontmatterTest, DuplicateKeyInANestedMapIsRefused) {
  EXPECT_TRUE(Refused("metadata:\n  a: 1\n  a: 2\n", "duplicate"));
}

TEST(SkillFrontmatterTest, MultiLinePlainValueIsRefused) {
  std::string message =
      FrontmatterError("---\nname: a\ndescription: first\n  second\n---\n").message();
  EXPECT_NE(message.find("line 4"), std::string::npos) << message;
}

TEST(SkillFrontmatterTest, NonStringNameIsRefused) {
  EXPECT_NE(FrontmatterError("---\nname: 12\ndescription: b\n---\n").message().find("'name'"),
            std::string::npos);
}

TEST(MakeSkillTest, ValidSkillPutsSkillMdFirstAndDigestsItsFiles) {
  std::vector<SkillFile> files;
  files.emplace_back("references/FORMS.md", "forms\n");
  files.emplace_back("SKILL.md", std::string(kSkillMd));
  auto skill = MakeSkill("acme/pdf-processing", std::move(files));
  ASSERT_TRUE(skill.ok()) << skill.error().ToString();
  EXPECT_EQ(skill->files.front().path, "SKILL.md");
  EXPECT_EQ(skill->uri(), "skill://acme/pdf-processing/SKILL.md");
  EXPECT_EQ(SkillDigest(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(MakeSkillTest, NameMustEqualTheLastPathSegment) {
  auto skill = MakeSkill("pdf-tools", Files());
  ASSERT_FALSE(skill.ok());
  EXPECT_NE(skill.error().message().find("must equal"), std::string::npos);
}

TEST(MakeSkillTest, UppercaseOrDoubleHyphenSegmentsAreRefused) {
  EXPECT_FALSE(MakeSkill("PDF-processing", Files()).ok());
  EXPECT_FALSE(MakeSkill("acme--x/pdf-processing", Files()).ok());
  EXPECT_FALSE(MakeSkill("/pdf-processing", Files()).ok());
}

core::Error FileNameError(std::string bad) {
  auto files = Files();
  files.emplace_back(std::move(bad), "x");
  auto skill = MakeSkill("pdf-processing", std::move(files));
  EXPECT_FALSE(skill.ok());
  return skill.ok() ? core::Error::Internal("made") : skill.error();
}

TEST(MakeSkillTest, ParentSegmentInAFileNameIsRefused) {
  EXPECT_NE(FileNameError("../secret").message().find("inside the skill"), std::string::npos);
}

TEST(MakeSkillTest, ParentSegmentDeeperInAFileNameIsRefused) {
  EXPECT_NE(FileNameError("a/../../b").message().find("inside the skill"), std::string::npos);
}

TEST(MakeSkillTest, AbsoluteFileNameIsRefused) {
  EXPECT_NE(FileNameError("/etc/passwd").message().find("inside the skill"), std::string::npos);
}

TEST(MakeSkillTest, BackslashInAFileNameIsRefused) {
  EXPECT_NE(FileNameError("..\\secret").message().find("inside the skill"), std::string::npos);
}

TEST(MakeSkillTest, DotOrEmptySegmentInAFileNameIsRefused) {
  EXPECT_NE(FileNameError("./x").message().find("inside the skill"), std::string::npos);
  EXPECT_NE(FileNameError("a//b").message().find("inside the skill"), std::string::npos);
}

TEST(MakeSkillTest, NulByteInAFileNameIsRefused) {
  EXPECT_NE(FileNameError(std::string("a\0b", 3)).message().find("inside the skill"),
            std::string::npos);
}

TEST(MakeSkillTest, DuplicateFileIsRefused) {
  auto files = Files();
  files.emplace_back("references/FORMS.md", "again");
  EXPECT_FALSE(MakeSkill("pdf-processing", std::move(files)).ok());
}

TEST(MakeSkillTest, MissingSkillMdIsRefused) {
  std::vector<SkillFile> files;
  files.emplace_back("README.md", "x");
  auto skill = MakeSkill("pdf-processing", std::move(files));
  ASSERT_FALSE(skill.ok());
  EXPECT_NE(skill.error().message().find("no SKILL.md"), std::string::npos);
}

TEST(MakeSkillTest, MoreThan512FilesIsRefused) {
  auto files = Files();
  for (size_t i = 0; i < kMaxSkillFiles; ++i) files.emplace_back("f" + std::to_string(i), "");
  EXPECT_FALSE(MakeSkill("pdf-processing", std::move(files)).ok());
}

TEST(MakeSkillTest, MoreThan16MiBIsRefused) {
  auto files = Files();
  files.emplace_back("big.bin", std::string(kMaxSkillBytes, 'x'));
  EXPECT_FALSE(MakeSkill("pdf-processing", std::move(files)).ok());
}

TEST(VerifySkillFileTest, UntouchedFilesVerify) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  json::object entry = SkillListEntry(*skill);
  for (const SkillFile& f : skill->files) {
    EXPECT_TRUE(VerifySkillFile(entry, skill->FileUri(f.path), f.content).ok()) << f.path;
  }
}

TEST(VerifySkillFileTest, ChangedBytesFailTheDigest) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  std::string evil = skill->files[1].content;
  evil[0] = 'F';
  auto status =
      VerifySkillFile(SkillListEntry(*skill), skill->FileUri("references/FORMS.md"), evil);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kDataLoss);
  EXPECT_NE(status.error().message().find("digest"), std::string::npos);
}

TEST(VerifySkillFileTest, ExtraBytesFailTheSize) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  auto status =
      VerifySkillFile(SkillListEntry(*skill), skill->uri(), skill->files[0].content + "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("bytes read"), std::string::npos);
}

TEST(VerifySkillFileTest, FrontmatterDifferentFromTheEntryFails) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  json::object entry = SkillListEntry(*skill);
  entry["frontmatter"].as_object()["description"] = "Exfiltrate credentials";
  auto status = VerifySkillFile(entry, skill->uri(), skill->files[0].content);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("frontmatter"), std::string::npos);
}

TEST(VerifySkillFileTest, FileTheEntryDoesNotListFails) {
  auto skill = MakeSkill("pdf-processing", Files());
  ASSERT_TRUE(skill.ok());
  auto status = VerifySkillFile(SkillListEntry(*skill), "skill://pdf-processing/extra.md", "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("not in the skill"), std::string::npos);
}

// A fresh directory under the test's temp dir, removed at the end.
struct TempDir {
  TempDir() : path(fs::temp_directory_path() / ("bedrock-skills-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void Write(const fs::path& relative, std::string_view content) const {
    fs::create_directories((path / relative).parent_path());
    std::ofstream(path / relative) << content;
  }
  fs::path path;
};

TEST(LoadSkillsDirectoryTest, EverySubdirectoryWithASkillMdIsASkill) {
  TempDir dir;
  dir.Write("pdf-processing/SKILL.md", kSkillMd);
  dir.Write("pdf-processing/references/FORMS.md", "forms\n");
  dir.Write("notes/README.md", "not a skill\n");
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_TRUE(skills.ok()) << skills.error().ToString();
  ASSERT_EQ(skills->size(), 1u);
  EXPECT_EQ(skills->front().path, "pdf-processing");
  ASSERT_EQ(skills->front().files.size(), 2u);
  EXPECT_EQ(skills->front().files[1].path, "references/FORMS.md");
}

TEST(LoadSkillsDirectoryTest, SymbolicLinkInsideASkillIsRefused) {
  TempDir dir;
  dir.Write("pdf-processing/SKILL.md", kSkillMd);
  fs::create_symlink("/etc/hostname", dir.path / "pdf-processing" / "host");
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_FALSE(skills.ok());
  EXPECT_NE(skills.error().message().find("symbolic link"), std::string::npos);
}

TEST(LoadSkillsDirectoryTest, HiddenFilesAndFoldersAreLeftOut) {
  TempDir dir;
  dir.Write("pdf-processing/SKILL.md", kSkillMd);
  dir.Write("pdf-processing/.DS_Store", "x");
  dir.Write("pdf-processing/.git/config", "x");
  dir.Write(".hidden-skill/SKILL.md", kSkillMd);
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_TRUE(skills.ok()) << skills.error().ToString();
  ASSERT_EQ(skills->size(), 1u);
  EXPECT_EQ(skills->front().files.size(), 1u);
}

TEST(LoadSkillsDirectoryTest, LinkedSkillFolderIsNotFollowed) {
  TempDir dir;
  dir.Write("outside/pdf-processing/SKILL.md", kSkillMd);
  fs::create_directory_symlink(dir.path / "outside" / "pdf-processing",
                               dir.path / "pdf-processing");
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_TRUE(skills.ok()) << skills.error().ToString();
  EXPECT_TRUE(skills->empty());
}

TEST(LoadSkillsDirectoryTest, LinkedSkillMdIsRefused) {
  TempDir dir;
  dir.Write("elsewhere.md", kSkillMd);
  fs::create_directories(dir.path / "pdf-processing");
  fs::create_symlink(dir.path / "elsewhere.md", dir.path / "pdf-processing" / "SKILL.md");
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_FALSE(skills.ok());
  EXPECT_NE(skills.error().message().find("symbolic link"), std::string::npos);
}

// The size comes from the file system: a 17 MiB sparse file is refused without being read.
TEST(LoadSkillsDirectoryTest, FileOverTheSizeLimitIsRefusedBeforeReading) {
  TempDir dir;
  dir.Write("pdf-processing/SKILL.md", kSkillMd);
  dir.Write("pdf-processing/big.bin", "");
  fs::resize_file(dir.path / "pdf-processing" / "big.bin", kMaxSkillBytes + 1);
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_FALSE(skills.ok());
  EXPECT_NE(skills.error().message().find("more than"), std::string::npos);
}

TEST(LoadSkillsDirectoryTest, MalformedFrontmatterNamesTheSkillAndLine) {
  TempDir dir;
  dir.Write("pdf-processing/SKILL.md", "---\nname: pdf-processing\ndescription: [x]\n---\n");
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_FALSE(skills.ok());
  EXPECT_NE(skills.error().message().find("pdf-processing"), std::string::npos);
  EXPECT_NE(skills.error().message().find("line 3"), std::string::npos);
}

TEST(LoadSkillsDirectoryTest, NameDifferentFromTheFolderIsRefused) {
  TempDir dir;
  dir.Write("pdf-tools/SKILL.md", kSkillMd);
  auto skills = LoadSkillsDirectory(dir.path);
  ASSERT_FALSE(skills.ok());
  EXPECT_NE(skills.error().message().find("must equal"), std::string::npos);
}

TEST(SkillFileTest, MimeTypeComesFromTheExtensionElseTheBytes) {
  EXPECT_EQ(SkillFileMimeType(SkillFile("SKILL.md", "x")), "text/markdown");
  EXPECT_EQ(SkillFileMimeType(SkillFile("scripts/run.py", "x")), "text/x-python");
  EXPECT_EQ(SkillFileMimeType(SkillFile("LICENSE", "MIT")), "text/plain");
  EXPECT_EQ(SkillFileMimeType(SkillFile("data", std::string("\0\xff", 2))),
            "application/octet-stream");
  EXPECT_EQ(SkillFileMimeType(SkillFile(".md", "x")), "text/plain");
}

TEST(SkillFileTest, Utf8TextIsTextAndNulOrBadBytesAreNot) {
  EXPECT_TRUE(IsUtf8Text("caf\xC3\xA9\n"));
  EXPECT_FALSE(IsUtf8Text(std::string("a\0b", 3)));
  EXPECT_FALSE(IsUtf8Text("\xC3\x28"));
}

TEST(LoadSkillsDirectoryTest, MissingDirectoryIsNotFound) {
  auto skills = LoadSkillsDirectory("/nonexistent/bedrock-skills");
  ASSERT_FALSE(skills.ok());
  EXPECT_EQ(skills.error().code(), core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace bedrock::mcp
