#include "llm/bedrock_agent_runtime.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "aws/event_stream.h"
#include "aws/testing/fake_server.h"
#include "core/base64.h"
#include "llm/testing/fake_bedrock.h"

namespace bedrock::llm {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using aws::testing::RunCo;
using testing::AwsErrorResponse;
using testing::EventStreamOf;
using testing::VerifyingBedrock;

constexpr char kRetrieveResponse[] = R"({"retrievalResults":[
  {"content":{"text":"Paris is the capital of France.","type":"TEXT"},
   "location":{"type":"S3","s3Location":{"uri":"s3://kb-bucket/docs/france.txt"}},
   "metadata":{"x-amz-bedrock-kb-source-uri":"s3://kb-bucket/docs/france.txt","page":3},
   "score":0.8123},
  {"content":{"text":"Lyon is in France."},
   "location":{"type":"WEB","webLocation":{"url":"https://example.com/lyon"}},
   "documentId":"doc-2"}],
 "nextToken":"page-2","guardrailAction":"NONE"})";

// A `chunk` event of InvokeAgent, optionally with citations.
std::string AgentChunk(std::string_view text, json::value attribution = nullptr) {
  json::object payload{{"bytes", core::Base64Encode(text)}};
  if (!attribution.is_null()) payload["attribution"] = attribution;
  return aws::EncodeEvent("chunk", json::serialize(payload));
}

http::Headers AgentHeaders() {
  return {{"x-amzn-bedrock-agent-content-type", "application/json"},
          {"x-amz-bedrock-agent-session-id", "s-1"},
          {"x-amz-bedrock-agent-memory-id", "m-1"}};
}

class AgentRuntimeTest : public ::testing::Test {
 protected:
  std::unique_ptr<AgentRuntimeClient> MakeClient(const VerifyingBedrock& fake) {
    return MakeClient(testing::TestOptions(fake.endpoint()));
  }
  std::unique_ptr<AgentRuntimeClient> MakeClient(BedrockOptions options) {
    auto client = AgentRuntimeClient::Create(testing::LoopbackClient(io_), std::move(options));
    EXPECT_TRUE(client.ok()) << client.error();
    return std::move(*client);
  }

  static RetrieveRequest Retrieve() {
    RetrieveRequest request;
    request.knowledge_base_id = "KB12345678";
    request.text = "capital of France?";
    return request;
  }

  static InvokeAgentRequest Invoke() {
    InvokeAgentRequest request;
    request.agent_id = "AGENT12345";
    request.agent_alias_id = "TSTALIASID";
    request.session_id = "s-1";
    request.input_text = "hello agent";
    return request;
  }

  core::Result<AgentResponse> InvokeAndCollect(AgentRuntimeClient& client,
                                               InvokeAgentRequest request) {
    return RunCo(io_, [&]() -> awaitable<core::Result<AgentResponse>> {
      BEDROCK_CO_TRY_ASSIGN(auto stream, co_await client.InvokeAgent(std::move(request)));
      co_return co_await CollectAgentResponse(*stream);
    }());
  }

  asio::io_context io_;
};

// --- Retrieve ---

TEST_F(AgentRuntimeTest, RetrieveSendsTheQueryAndFilterAndTypesTheResults) {
  VerifyingBedrock fake(
      [](const http::Request&, int) { return http::Response::Json(200, kRetrieveResponse); });
  auto client = MakeClient(fake);
  auto request = Retrieve();
  request.number_of_results = 5;
  request.override_search_type = "HYBRID";
  request.filter = json::parse(R"({"equals":{"key":"lang","value":"en"}})");
  request.next_token = "page-1";
  auto response = RunCo(io_, client->Retrieve(std::move(request)));
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_EQ(response->results.size(), 2u);
  const RetrievalResult& first = response->results[0];
  EXPECT_EQ(first.text, "Paris is the capital of France.");
  EXPECT_EQ(first.content_type, "TEXT");
  EXPECT_EQ(first.score, 0.8123);
  EXPECT_EQ(first.location_type, "S3");
  EXPECT_EQ(first.location_uri, "s3://kb-bucket/docs/france.txt");
  EXPECT_EQ(first.metadata.at("page"), 3);
  EXPECT_EQ(response->results[1].location_uri, "https://example.com/lyon");
  EXPECT_EQ(response->results[1].document_id, "doc-2");
  EXPECT_FALSE(response->results[1].score.has_value());
  EXPECT_EQ(response->next_token, "page-2");
  EXPECT_EQ(response->guardrail_action, "NONE");

  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].verify_failure) << seen[0].verify_failure->message;
  EXPECT_EQ(seen[0].request.target, "/knowledgebases/KB12345678/retrieve");
  EXPECT_EQ(json::parse(seen[0].request.body), json::parse(R"({
      "retrievalQuery":{"text":"capital of France?"},
      "retrievalConfiguration":{"vectorSearchConfiguration":{"numberOfResults":5,
          "overrideSearchType":"HYBRID","filter":{"equals":{"key":"lang","value":"en"}}}},
      "nextToken":"page-1"})"));
  EXPECT_NE(seen[0].request.headers.Get("authorization")->find("/us-east-1/bedrock/aws4_request"),
            std::string::npos);
}

TEST_F(AgentRuntimeTest, RetrieveWithOnlyTextSendsNoConfiguration) {
  EXPECT_EQ(EncodeRetrieveRequest(Retrieve()),
            R"({"retrievalQuery":{"text":"capital of France?"}})");
}

TEST_F(AgentRuntimeTest, RetrieveThrottledThenSucceedsIsRetried) {
  VerifyingBedrock fake([](const http::Request&, int call) {
    if (call == 0) return AwsErrorResponse(429, "ThrottlingException", "Rate exceeded");
    return http::Response::Json(200, kRetrieveResponse);
  });
  auto client = MakeClient(fake);
  auto response = RunCo(io_, client->Retrieve(Retrieve()));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(fake.seen().size(), 2u);
}

TEST_F(AgentRuntimeTest, RetrieveWrongSecretIs403InvalidSignature) {
  VerifyingBedrock fake(
      [](const http::Request&, int) { return http::Response::Json(200, kRetrieveResponse); });
  auto options = testing::TestOptions(fake.endpoint());
  options.credentials =
      testing::StaticCredentials({testing::kAccessKey, "wrong-secret", testing::kToken, {}});
  auto client = MakeClient(std::move(options));
  auto response = RunCo(io_, client->Retrieve(Retrieve()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(fake.seen().size(), 1u);
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUnauthenticated);
  EXPECT_TRUE(
      response.error().message().starts_with("bedrock agent runtime: InvalidSignatureException"))
      << response.error();
}

TEST_F(AgentRuntimeTest, RetrieveUnknownKnowledgeBaseIsNotFound) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return AwsErrorResponse(404, "ResourceNotFoundException", "KB not found");
  });
  auto client = MakeClient(fake);
  auto response = RunCo(io_, client->Retrieve(Retrieve()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(fake.seen().size(), 1u);
}

TEST_F(AgentRuntimeTest, RetrieveMalformedResponseIsUpstreamFailure) {
  VerifyingBedrock fake(
      [](const http::Request&, int) { return http::Response::Json(200, R"({"results":[]})"); });
  auto client = MakeClient(fake);
  auto response = RunCo(io_, client->Retrieve(Retrieve()));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_TRUE(response.error().message().starts_with("bedrock agent runtime: malformed"));
}

// --- InvokeAgent ---

TEST_F(AgentRuntimeTest, InvokeAgentAssemblesChunksCitationsAndTraces) {
  VerifyingBedrock fake([](const http::Request&, int) {
    json::value attribution = json::parse(R"({"citations":[{
        "generatedResponsePart":{"textResponsePart":{"text":"Paris","span":{"start":0,"end":5}}},
        "retrievedReferences":[{"content":{"text":"Paris is the capital."},
            "location":{"type":"S3","s3Location":{"uri":"s3://b/france.txt"}},
            "metadata":{"k":"v"}}]}]})");
    return EventStreamOf(
        aws::EncodeEvent("trace", R"({"agentId":"AGENT12345","trace":{"orchestrationTrace":{}}})") +
            AgentChunk("Paris is ", attribution) + AgentChunk("the capital.") +
            aws::EncodeEvent("someFutureEvent", "{}"),
        AgentHeaders());
  });
  auto client = MakeClient(fake);
  auto request = Invoke();
  request.enable_trace = true;
  request.session_state =
      json::parse(R"({"sessionAttributes":{"user":"u1"},"promptSessionAttributes":{"tz":"UTC"}})");
  auto response = InvokeAndCollect(*client, std::move(request));
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->completion, "Paris is the capital.");
  ASSERT_EQ(response->citations.size(), 1u);
  EXPECT_EQ(response->citations[0].text, "Paris");
  EXPECT_EQ(response->citations[0].span_start, 0);
  EXPECT_EQ(response->citations[0].span_end, 5);
  ASSERT_EQ(response->citations[0].references.size(), 1u);
  EXPECT_EQ(response->citations[0].references[0].location_uri, "s3://b/france.txt");
  ASSERT_EQ(response->traces.size(), 1u);
  EXPECT_EQ(response->traces[0].at("agentId"), "AGENT12345");
  EXPECT_EQ(response->session_id, "s-1");
  EXPECT_EQ(response->memory_id, "m-1");
  EXPECT_FALSE(response->return_control);

  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].verify_failure);
  EXPECT_EQ(seen[0].request.target, "/agents/AGENT12345/agentAliases/TSTALIASID/sessions/s-1/text");
  EXPECT_EQ(json::parse(seen[0].request.body), json::parse(R"({
      "sessionState":{"sessionAttributes":{"user":"u1"},"promptSessionAttributes":{"tz":"UTC"}},
      "enableTrace":true,"inputText":"hello agent"})"));
}

TEST_F(AgentRuntimeTest, InvokeAgentReturnControlIsSurfaced) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return EventStreamOf(
        aws::EncodeEvent("returnControl",
                         R"({"invocationId":"inv-1","invocationInputs":[{"functionInvocationInput":
                             {"actionGroup":"g","function":"f","parameters":[]}}]})"),
        AgentHeaders());
  });
  auto client = MakeClient(fake);
  auto response = InvokeAndCollect(*client, Invoke());
  ASSERT_TRUE(response.ok()) << response.error();
  ASSERT_TRUE(response->return_control);
  EXPECT_EQ(response->return_control->at("invocationId"), "inv-1");
  EXPECT_EQ(response->completion, "");
}

TEST_F(AgentRuntimeTest, InvokeAgentSourceArnAndEndSessionAreSent) {
  VerifyingBedrock fake(
      [](const http::Request&, int) { return EventStreamOf(AgentChunk("ok"), AgentHeaders()); });
  auto client = MakeClient(fake);
  auto request = Invoke();
  request.end_session = true;
  request.memory_id = "m-1";
  request.source_arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
  ASSERT_TRUE(InvokeAndCollect(*client, std::move(request)).ok());
  auto seen = fake.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].verify_failure);
  EXPECT_EQ(seen[0].request.headers.Get("x-amz-source-arn"),
            "arn:aws:lambda:us-east-1:123456789012:function:f");
  EXPECT_EQ(json::parse(seen[0].request.body),
            json::parse(R"({"enableTrace":false,"endSession":true,"memoryId":"m-1",
                            "inputText":"hello agent"})"));
}

TEST_F(AgentRuntimeTest, InvokeAgentExceptionFrameEndsWithItsErrorAfterEarlierChunks) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return EventStreamOf(
        AgentChunk("partial ") +
            aws::EncodeException("dependencyFailedException",
                                 R"({"message":"Lambda failed","resourceName":"weather-fn"})"),
        AgentHeaders());
  });
  auto client = MakeClient(fake);
  auto events = RunCo(io_, [&]() -> awaitable<std::pair<std::string, core::Status>> {
    auto stream = co_await client->InvokeAgent(Invoke());
    if (!stream.ok()) co_return std::pair{std::string(), core::Status(stream.error())};
    std::string text;
    while (true) {
      auto event = co_await (*stream)->Next();
      if (!event.ok()) co_return std::pair{text, core::Status(event.error())};
      if (!*event) co_return std::pair{text, core::OkStatus()};
      if (auto* chunk = std::get_if<llm::AgentChunk>(&**event)) text += chunk->text;
    }
  }());
  EXPECT_EQ(events.first, "partial ");
  ASSERT_FALSE(events.second.ok());
  EXPECT_EQ(events.second.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_EQ(events.second.error().message(),
            "bedrock agent runtime: DependencyFailedException: Lambda failed "
            "(resourceName: weather-fn)");
  EXPECT_EQ(fake.seen().size(), 1u);
}

TEST_F(AgentRuntimeTest, InvokeAgentThrottlingFrameIsResourceExhausted) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return EventStreamOf(aws::EncodeException("throttlingException",
                                              R"({"message":"Your request rate is too high"})"),
                         AgentHeaders());
  });
  auto client = MakeClient(fake);
  auto response = InvokeAndCollect(*client, Invoke());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(fake.seen().size(), 1u);
}

TEST_F(AgentRuntimeTest, InvokeAgentTruncatedFrameIsDataLoss) {
  VerifyingBedrock fake([](const http::Request&, int) {
    std::string bytes = AgentChunk("one") + AgentChunk("two");
    return EventStreamOf(bytes.substr(0, bytes.size() - 3), AgentHeaders());
  });
  auto client = MakeClient(fake);
  auto response = InvokeAndCollect(*client, Invoke());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kDataLoss);
}

TEST_F(AgentRuntimeTest, InvokeAgentValidationErrorBeforeTheStreamIsNotRetried) {
  VerifyingBedrock fake([](const http::Request&, int) {
    return AwsErrorResponse(400, "ValidationException", "inputText is required");
  });
  auto client = MakeClient(fake);
  auto response = InvokeAndCollect(*client, Invoke());
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(fake.seen().size(), 1u);
}

TEST_F(AgentRuntimeTest, InvokeAgentThrottledBeforeTheStreamIsRetried) {
  VerifyingBedrock fake([](const http::Request&, int call) {
    if (call == 0) return AwsErrorResponse(429, "ThrottlingException", "slow down");
    return EventStreamOf(AgentChunk("ok"), AgentHeaders());
  });
  auto client = MakeClient(fake);
  auto response = InvokeAndCollect(*client, Invoke());
  ASSERT_TRUE(response.ok()) << response.error();
  EXPECT_EQ(response->completion, "ok");
  EXPECT_EQ(fake.seen().size(), 2u);
}

TEST_F(AgentRuntimeTest, ChunkWithBadBase64IsUpstreamFailure) {
  EXPECT_EQ(DecodeAgentEvent("chunk", R"({"bytes":"%%%"})").error().code(),
            core::ErrorCode::kUpstreamFailure);
}

TEST_F(AgentRuntimeTest, CitationsThatAreNotAnArrayAreUpstreamFailure) {
  EXPECT_EQ(
      DecodeAgentEvent("chunk", R"({"bytes":"","attribution":{"citations":{}}})").error().code(),
      core::ErrorCode::kUpstreamFailure);
}

// --- Configuration ---

TEST(AgentRuntimeOptionsTest, ServiceSpecificEndpointBeatsTheGenericOne) {
  core::FakeEnv env({{"AWS_REGION", "eu-west-1"},
                     {"AWS_ENDPOINT_URL", "http://generic:1"},
                     {"AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME", "http://agents:2"},
                     {"AWS_BEARER_TOKEN_BEDROCK", "ignored"}});
  auto options = AgentRuntimeOptionsFromEnv(env);
  ASSERT_TRUE(options.ok()) << options.error();
  EXPECT_EQ(options->region, "eu-west-1");
  EXPECT_EQ(options->endpoint, "http://agents:2");
  EXPECT_TRUE(options->bearer_token.empty());
}

TEST(AgentRuntimeOptionsTest, GenericEndpointIsUsedWithoutAServiceSpecificOne) {
  core::FakeEnv env({{"AWS_REGION", "eu-west-1"}, {"AWS_ENDPOINT_URL", "http://generic:1"}});
  auto options = AgentRuntimeOptionsFromEnv(env);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->endpoint, "http://generic:1");
}

TEST_F(AgentRuntimeTest, DefaultEndpointIsRegional) {
  BedrockOptions options;
  options.region = "ap-south-1";
  options.credentials = testing::StaticCredentials();
  EXPECT_EQ(MakeClient(std::move(options))->endpoint(),
            "https://bedrock-agent-runtime.ap-south-1.amazonaws.com");
}

TEST_F(AgentRuntimeTest, BearerTokenIsRefused) {
  BedrockOptions options;
  options.region = "us-east-1";
  options.bearer_token = "key";
  auto client = AgentRuntimeClient::Create(testing::LoopbackClient(io_), std::move(options));
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code(), core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace bedrock::llm
