#include "emulator/knowledge_base.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_set>

#include "emulator/embeddings.h"
#include "emulator/text.h"

namespace bedrock::emulator {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr uintmax_t kMaxFileBytes = 5u << 20;
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;
constexpr double kSquash = 5.0;

bool IsDocumentFile(const fs::path& path) {
  std::string name = path.filename().string();
  if (name.ends_with(".metadata.json")) return false;
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::unordered_set<std::string> kExtensions = {
      ".txt", ".md", ".markdown", ".rst", ".text", ".csv", ".json", ".html", ".htm"};
  return kExtensions.contains(ext);
}

bool IsHtml(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".html" || ext == ".htm";
}

// Tags out, script/style bodies out, block tags become paragraph breaks, common entities decoded.
std::string StripHtml(std::string_view html) {
  std::string out;
  size_t i = 0;
  auto lower_starts = [&](size_t at, std::string_view word) {
    if (at + word.size() > html.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      if (std::tolower(static_cast<unsigned char>(html[at + k])) != word[k]) return false;
    }
    return true;
  };
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      for (std::string_view skip : {"script", "style"}) {
        if (lower_starts(i + 1, skip)) {
          size_t end = html.find(fmt::format("</{}", skip), i);
          if (end == std::string_view::npos) {
            // Case-insensitive close tags are rare enough; fall back to skipping the open tag.
            end = i;
          }
          i = end;
          break;
        }
      }
      size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, close - i - 1);
      if (lower_starts(i + 1, "p") || lower_starts(i + 1, "/p") || lower_starts(i + 1, "br") ||
          lower_starts(i + 1, "h") || lower_starts(i + 1, "/h") || lower_starts(i + 1, "li") ||
          lower_starts(i + 1, "div") || lower_starts(i + 1, "/div")) {
        out += "\n\n";
      } else if (!tag.empty()) {
        out += ' ';
      }
      i = close + 1;
      continue;
    }
    if (c == '&') {
      static const std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
          {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
      bool decoded = false;
      for (auto [entity, ch] : kEntities) {
        if (html.substr(i, entity.size()) == entity) {
          out += ch;
          i += entity.size();
          decoded = true;
          break;
        }
      }
      if (decoded) continue;
    }
    out += c;
    ++i;
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string_view::npos) return {};
  size_t b = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(a, b - a + 1));
}

std::vector<std::string> Paragraphs(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (Trim(line).empty()) {
      if (!Trim(current).empty()) out.push_back(Trim(current));
      current.clear();
    } else {
      if (!current.empty()) current += '\n';
      current += line;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  if (!Trim(current).empty()) out.push_back(Trim(current));
  return out;
}

// Cuts a long paragraph into windows of `max_tokens` tokens overlapping by a fifth.
std::vector<std::string> Windows(std::string_view paragraph, int max_tokens) {
  // Word boundaries (start offsets of whitespace-separated words).
  std::vector<std::pair<size_t, size_t>> words;
  size_t i = 0;
  while (i < paragraph.size()) {
    while (i < paragraph.size() && std::isspace(static_cast<unsigned char>(paragraph[i]))) ++i;
    if (i >= paragraph.size()) break;
    size_t start = i;
    while (i < paragraph.size() && !std::isspace(static_cast<unsigned char>(paragraph[i]))) ++i;
    words.emplace_back(start, i);
  }
  std::vector<std::string> out;
  size_t first = 0;
  while (first < words.size()) {
    int64_t tokens = 0;
    size_t last = first;
    while (last < words.size()) {
      auto [a, b] = words[last];
      int64_t t = CountTokens(paragraph.substr(a, b - a));
      if (last > first && tokens + t > max_tokens) break;
      tokens += t;
      ++last;
    }
    out.emplace_back(
        paragraph.substr(words[first].first, words[last - 1].second - words[first].first));
    if (last >= words.size()) break;
    size_t span = last - first;
    size_t step = std::max<size_t>(1, span - span / 5);
    first += step;
  }
  return out;
}

json::value PlainMetadataValue(const json::value& v) {
  if (!v.is_object()) return v;
  const json::object& o = v.as_object();
  const json::value* typed = o.if_contains("value");
  if (typed == nullptr || !typed->is_object()) return v;
  const json::object& t = typed->as_object();
  for (std::string_view key : {"stringValue", "numberValue", "booleanValue", "stringListValue"}) {
    if (const auto* x = t.if_contains(key)) return *x;
  }
  return v;
}

core::Result<json::object> LoadSidecar(const fs::path& document) {
  fs::path sidecar = document;
  sidecar += ".metadata.json";
  std::error_code ec;
  if (!fs::is_regular_file(sidecar, ec)) return json::object{};
  std::ifstream in(sidecar, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::error_code parse_error;
  json::value root = json::parse(buffer.str(), parse_error);
  if (parse_error || !root.is_object()) {
    return core::Error::InvalidArgument("{}: not a JSON object", sidecar.string());
  }
  const json::value* attributes = root.as_object().if_contains("metadataAttributes");
  if (attributes == nullptr) return json::object{};
  if (!attributes->is_object()) {
    return core::Error::InvalidArgument("{}: metadataAttributes must be an object",
                                        sidecar.string());
  }
  json::object out;
  for (const auto& [key, value] : attributes->as_object()) out[key] = PlainMetadataValue(value);
  return out;
}

// --- Filters ---

std::optional<double> AsNumber(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return std::nullopt;
}

bool ValuesEqual(const json::value& a, const json::value& b) {
  auto na = AsNumber(a), nb = AsNumber(b);
  if (na && nb) return *na == *nb;
  return a == b;
}

core::Result<std::pair<std::string, const json::value*>> KeyValue(const json::value& v,
                                                                  std::string_view path) {
  if (!v.is_object()) return core::Error::InvalidArgument("{} must be an object", path);
  const json::object& o = v.as_object();
  const json::value* key = o.if_contains("key");
  const json::value* value = o.if_contains("value");
  if (key == nullptr || !key->is_string() || value == nullptr) {
    return core::Error::InvalidArgument("{} requires key (a string) and value", path);
  }
  return std::pair{std::string(key->as_string()), value};
}

core::Result<bool> Match(const json::value& filter, const json::object& metadata,
                         const std::string& path) {
  if (!filter.is_object() || filter.as_object().size() != 1) {
    return core::Error::InvalidArgument("{} must have exactly one member", path);
  }
  const auto& [op_key, operand] = *filter.as_object().begin();
  std::string op(op_key);
  std::string sub = path + "." + op;
  if (op == "andAll" || op == "orAll") {
    if (!operand.is_array() || operand.as_array().size() < 2) {
      return core::Error::InvalidArgument("{} must be an array of at least 2 filters", sub);
    }
    bool all = op == "andAll";
    bool result = all;
    const auto& list = operand.as_array();
    for (size_t i = 0; i < list.size(); ++i) {
      bool m = BEDROCK_TRY(Match(list[i], metadata, fmt::format("{}.{}", sub, i)));
      result = all ? (result && m) : (result || m);
    }
    return result;
  }
  auto [key, value] = BEDROCK_TRY(KeyValue(operand, sub));
  const json::value* actual = metadata.if_contains(key);
  if (op == "equals") return actual != nullptr && ValuesEqual(*actual, *value);
  if (op == "notEquals") return actual == nullptr || !ValuesEqual(*actual, *value);
  if (op == "greaterThan" || op == "greaterThanOrEquals" || op == "lessThan" ||
      op == "lessThanOrEquals") {
    auto want = AsNumber(*value);
    if (!want) return core::Error::InvalidArgument("{}.value must be a number", sub);
    auto have = actual != nullptr ? AsNumber(*actual) : std::nullopt;
    if (!have) return false;
    if (op == "greaterThan") return *have > *want;
    if (op == "greaterThanOrEquals") return *have >= *want;
    if (op == "lessThan") return *have < *want;
    return *have <= *want;
  }
  if (op == "in" || op == "notIn") {
    if (!value->is_array()) return core::Error::InvalidArgument("{}.value must be an array", sub);
    bool found = false;
    if (actual != nullptr) {
      for (const auto& candidate : value->as_array())
        found = found || ValuesEqual(*actual, candidate);
    }
    return op == "in" ? found : !found;
  }
  if (op == "startsWith" || op == "stringContains") {
    if (!value->is_string()) return core::Error::InvalidArgument("{}.value must be a string", sub);
    std::string_view want = value->as_string();
    auto test = [&](const json::value& v) {
      if (!v.is_string()) return false;
      std::string_view have = v.as_string();
      return op == "startsWith" ? have.starts_with(want) : have.find(want) != std::string::npos;
    };
    if (actual == nullptr) return false;
    if (actual->is_array()) {
      return std::any_of(actual->as_array().begin(), actual->as_array().end(), test);
    }
    return test(*actual);
  }
  if (op == "listContains") {
    if (actual == nullptr || !actual->is_array()) return false;
    const json::value& wanted = *value;  // clang 14 cannot capture a structured binding
    return std::any_of(actual->as_array().begin(), actual->as_array().end(),
                       [&](const json::value& v) { return ValuesEqual(v, wanted); });
  }
  return core::Error::InvalidArgument("{} is not a supported filter", sub);
}

}  // namespace

std::vector<std::string> ChunkText(std::string_view text, int max_tokens) {
  if (max_tokens < 1) max_tokens = 1;
  std::vector<std::string> chunks;
  std::string current;
  int64_t current_tokens = 0;
  auto flush = [&] {
    if (!current.empty()) chunks.push_back(std::move(current));
    current.clear();
    current_tokens = 0;
  };
  for (const std::string& paragraph : Paragraphs(text)) {
    int64_t tokens = CountTokens(paragraph);
    if (tokens > max_tokens) {
      flush();
      for (auto& window : Windows(paragraph, max_tokens)) chunks.push_back(std::move(window));
      continue;
    }
    if (current_tokens + tokens > max_tokens) flush();
    if (!current.empty()) current += "\n\n";
    current += paragraph;
    current_tokens += tokens;
  }
  flush();
  return chunks;
}

core::Result<bool> MatchesFilter(const json::value& filter, const json::object& metadata) {
  if (filter.is_null()) return true;
  return Match(filter, metadata, "retrievalConfiguration.vectorSearchConfiguration.filter");
}

core::Result<KnowledgeBase> KnowledgeBase::LoadDirectory(const fs::path& folder,
                                                         KnowledgeBaseOptions options) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    return core::Error::NotFound("knowledge base folder {} is not a directory", folder.string());
  }
  std::vector<fs::path> files;
  auto it =
      fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
  if (ec) return core::Error::InvalidArgument("cannot read {}: {}", folder.string(), ec.message());
  for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
    if (ec) break;
    const fs::path& path = it->path();
    if (path.filename().string().starts_with(".")) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && IsDocumentFile(path)) files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  std::vector<KbDocument> documents;
  for (const fs::path& path : files) {
    if (fs::file_size(path, ec) > kMaxFileBytes) continue;
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::Error::InvalidArgument("cannot read {}", path.string());
    std::stringstream buffer;
    buffer << in.rdbuf();
    KbDocument doc;
    doc.path = fs::relative(path, folder, ec).generic_string();
    doc.text = IsHtml(path) ? StripHtml(buffer.str()) : buffer.str();
    doc.metadata = BEDROCK_TRY(LoadSidecar(path));
    documents.push_back(std::move(doc));
  }
  return FromDocuments(std::move(documents), std::move(options));
}

KnowledgeBase KnowledgeBase::FromDocuments(std::vector<KbDocument> documents,
                                           KnowledgeBaseOptions options) {
  KnowledgeBase kb;
  kb.options_ = std::move(options);
  kb.documents_ = std::move(documents);
  kb.Index();
  return kb;
}

std::string KnowledgeBase::SourceUri(size_t document) const {
  return fmt::format("s3://{}/{}", options_.bucket, documents_[document].path);
}

void KnowledgeBase::Index() {
  size_t total_length = 0;
  for (size_t d = 0; d < documents_.size(); ++d) {
    auto texts = emulator::ChunkText(documents_[d].text, options_.chunk_tokens);
    for (size_t n = 0; n < texts.size(); ++n) {
      Chunk chunk;
      chunk.document = d;
      chunk.number = static_cast<int>(n);
      chunk.text = std::move(texts[n]);
      for (auto& term : IndexTerms(chunk.text)) {
        ++chunk.term_counts[term];
        ++chunk.length;
      }
      for (const auto& [term, count] : chunk.term_counts) ++document_frequency_[term];
      total_length += static_cast<size_t>(chunk.length);
      chunk.embedding = Embed(chunk.text, options_.embedding_dimensions, true);
      chunk.metadata = documents_[d].metadata;
      std::string uri = SourceUri(d);
      chunk.metadata["x-amz-bedrock-kb-source-uri"] = uri;
      chunk.metadata["x-amz-bedrock-kb-chunk-id"] =
          fmt::format("1%3A0%3A{:016x}", StableHash(fmt::format("{}#{}", uri, n)));
      chunk.metadata["x-amz-bedrock-kb-data-source-id"] = options_.data_source_id;
      chunks_.push_back(std::move(chunk));
    }
  }
  average_length_ =
      chunks_.empty() ? 0 : static_cast<double>(total_length) / static_cast<double>(chunks_.size());
}

core::Result<std::vector<RetrievalHit>> KnowledgeBase::Retrieve(const RetrievalQuery& query) const {
  std::vector<std::string> terms = IndexTerms(query.text);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  std::vector<float> query_embedding = Embed(query.text, options_.embedding_dimensions, true);
  const double n = static_cast<double>(chunks_.size());

  std::vector<RetrievalHit> hits;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    const Chunk& chunk = chunks_[c];
    if (!BEDROCK_TRY(MatchesFilter(query.filter, chunk.metadata))) continue;
    double bm25 = 0;
    for (const auto& term : terms) {
      auto tf_it = chunk.term_counts.find(term);
      if (tf_it == chunk.term_counts.end()) continue;
      double df = document_frequency_.at(term);
      double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
      double tf = tf_it->second;
      double norm = average_length_ > 0 ? chunk.length / average_length_ : 1.0;
      bm25 += idf * tf * (kK1 + 1) / (tf + kK1 * (1 - kB + kB * norm));
    }
    double lexical = bm25 / (bm25 + kSquash);
    double semantic = std::max(0.0, Cosine(chunk.embedding, query_embedding));
    double score = query.search_type == SearchType::kSemantic ? semantic : (lexical + semantic) / 2;
    if (score <= 0) continue;
    hits.push_back({c, score});
  }
  std::sort(hits.begin(), hits.end(), [&](const RetrievalHit& a, const RetrievalHit& b) {
    if (a.score != b.score) return a.score > b.score;
    const Chunk& ca = chunks_[a.chunk];
    const Chunk& cb = chunks_[b.chunk];
    if (ca.document != cb.document) {
      return documents_[ca.document].path < documents_[cb.document].path;
    }
    return ca.number < cb.number;
  });
  if (hits.size() > static_cast<size_t>(std::max(query.number_of_results, 0))) {
    hits.resize(static_cast<size_t>(std::max(query.number_of_results, 0)));
  }
  return hits;
}

json::object KnowledgeBase::LocationJson(size_t chunk) const {
  return json::object{{"type", "S3"},
                      {"s3Location", json::object{{"uri", SourceUri(chunks_[chunk].document)}}}};
}

json::object KnowledgeBase::ResultJson(const RetrievalHit& hit) const {
  const Chunk& chunk = chunks_[hit.chunk];
  // Rounded like the service's scores, so JSON stays short and stable.
  double score = std::round(hit.score * 1e6) / 1e6;
  return json::object{{"content", json::object{{"text", chunk.text}, {"type", "TEXT"}}},
                      {"location", LocationJson(hit.chunk)},
                      {"metadata", chunk.metadata},
                      {"score", score}};
}

}  // namespace bedrock::emulator
