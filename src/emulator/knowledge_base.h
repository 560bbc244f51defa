// The emulator's knowledge base: a folder of documents, chunked and indexed at load, searched with
// BM25 (and, for SEMANTIC/HYBRID queries, the cosine similarity of emulator embeddings), answering
// in the shape of Bedrock Agent Runtime's Retrieve.
//
//   auto kb = BEDROCK_TRY(emulator::KnowledgeBase::LoadDirectory("docs/", {}));
//   emulator::RetrievalQuery query{.text = "capital of France", .number_of_results = 3};
//   auto hits = BEDROCK_TRY(kb.Retrieve(query));
//   boost::json::object result = kb.ResultJson(hits[0]);   // content, location, metadata, score
//
// Documents: regular files under the folder (recursively, hidden ones skipped) ending in .txt,
// .md, .markdown, .rst, .text, .csv, .json, .html or .htm (tags stripped), up to 5 MiB each. A
// sidecar "<file>.metadata.json" holds the file's metadata as Bedrock's S3 data sources do:
// {"metadataAttributes": {"lang": "en", "year": 2024}} (values may also be in the typed form
// {"value": {"type": "STRING", "stringValue": "en"}}). Every chunk's metadata also has
// x-amz-bedrock-kb-source-uri, x-amz-bedrock-kb-chunk-id and x-amz-bedrock-kb-data-source-id.
//
// Chunking: paragraphs (blank-line separated) are packed into chunks of at most
// `chunk_tokens` tokens (emulator::CountTokens); a longer paragraph is cut into windows that
// overlap by a fifth, as Bedrock's default fixed-size chunking does.
//
// Scores are in (0, 1]: BM25 (k1 1.2, b 0.75) squashed as s / (s + 5); SEMANTIC is the cosine
// similarity clamped at 0; HYBRID (the default) the mean of the two. Ties are broken by file path
// then chunk number, so results are deterministic.
//
// Thread-safety: immutable after loading; Retrieve and ResultJson may be called concurrently.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace bedrock::emulator {

struct KnowledgeBaseOptions {
  int chunk_tokens = 300;
  std::string bucket = "bedrock-emulator-kb";  // s3://<bucket>/<relative path> locations
  std::string data_source_id = "EMULATORDS";
  int embedding_dimensions = 256;
};

struct KbDocument {
  std::string path;              // relative to the folder, '/'-separated
  std::string text;              // plain text (HTML already stripped)
  boost::json::object metadata;  // the sidecar's attributes, as plain JSON values
};

enum class SearchType { kHybrid, kSemantic };

struct RetrievalQuery {
  std::string text;
  int number_of_results = 5;
  SearchType search_type = SearchType::kHybrid;
  // A Bedrock RetrievalFilter (equals, notEquals, greaterThan, greaterThanOrEquals, lessThan,
  // lessThanOrEquals, in, notIn, startsWith, stringContains, listContains, andAll, orAll); null
  // for none.
  boost::json::value filter;
};

struct RetrievalHit {
  size_t chunk = 0;  // index into the knowledge base's chunks
  double score = 0;
};

class KnowledgeBase {
 public:
  // An empty knowledge base (every search finds nothing).
  KnowledgeBase() = default;

  // Loads every document under `folder`. kNotFound when it is not a directory; unreadable files
  // and malformed sidecars are kInvalidArgument naming the file.
  static core::Result<KnowledgeBase> LoadDirectory(const std::filesystem::path& folder,
                                                   KnowledgeBaseOptions options);
  // Builds an index over documents held in memory (tests).
  static KnowledgeBase FromDocuments(std::vector<KbDocument> documents,
                                     KnowledgeBaseOptions options);

  // The best chunks for the query, best first, at most number_of_results, only those that pass
  // the filter and score above zero. kInvalidArgument for a malformed filter.
  core::Result<std::vector<RetrievalHit>> Retrieve(const RetrievalQuery& query) const;

  // A Retrieve result: {"content":{"text","type":"TEXT"}, "location":{"type":"S3",
  // "s3Location":{"uri"}}, "metadata":{...}, "score"}.
  boost::json::object ResultJson(const RetrievalHit& hit) const;
  // The location object alone (also used in InvokeAgent citations).
  boost::json::object LocationJson(size_t chunk) const;

  const std::string& ChunkText(size_t chunk) const { return chunks_[chunk].text; }
  size_t document_count() const { return documents_.size(); }
  size_t chunk_count() const { return chunks_.size(); }

 private:
  struct Chunk {
    size_t document = 0;
    int number = 0;  // within its document
    std::string text;
    std::unordered_map<std::string, int> term_counts;
    int length = 0;  // terms
    std::vector<float> embedding;
    boost::json::object metadata;  // document attributes + x-amz-bedrock-kb-* keys
  };

  void Index();
  std::string SourceUri(size_t document) const;

  KnowledgeBaseOptions options_;
  std::vector<KbDocument> documents_;
  std::vector<Chunk> chunks_;
  std::unordered_map<std::string, int> document_frequency_;
  double average_length_ = 0;
};

// Splits text into chunks of at most `max_tokens` tokens (see KnowledgeBase).
std::vector<std::string> ChunkText(std::string_view text, int max_tokens);

// Whether `metadata` passes a Bedrock RetrievalFilter. kInvalidArgument for a malformed filter
// (with the member path named, as Bedrock's validation messages do).
core::Result<bool> MatchesFilter(const boost::json::value& filter,
                                 const boost::json::object& metadata);

}  // namespace bedrock::emulator
