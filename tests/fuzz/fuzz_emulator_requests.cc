// What the emulator parses from untrusted requests: Claude Messages and Titan bodies
// (InvokeModel), the x-emulator-fault header, Retrieve filters, and Converse bodies run through
// the scripted model. The first input byte picks the target, the rest is its input. Properties
// checked beyond "no crash": a model answer streams into events that assemble back into the same
// message; a decoded Claude request answers with a body that is JSON.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "emulator/faults.h"
#include "emulator/invoke_codecs.h"
#include "emulator/knowledge_base.h"
#include "emulator/scripted_model.h"
#include "emulator/streaming.h"
#include "llm/bedrock_converse.h"

namespace {

namespace emu = bedrock::emulator;
namespace json = boost::json;

void CheckStreams(const bedrock::llm::ChatResponse& response) {
  bedrock::llm::StreamAssembler assembler;
  for (const auto& event : emu::ToStreamEvents(response, 7)) {
    if (!assembler.Add(event).ok()) std::abort();
  }
  auto assembled = assembler.Finish();
  if (!assembled.ok()) std::abort();
  // Empty text blocks are not streamed; everything else must come back unchanged.
  bool has_empty_text = false;
  for (const auto& block : response.message.content) {
    if (const auto* t = std::get_if<bedrock::llm::TextBlock>(&block)) {
      has_empty_text = has_empty_text || t->text.empty();
    }
  }
  if (!has_empty_text && !(assembled->message == response.message)) std::abort();
}

emu::ScriptedModel& Model() {
  static emu::ScriptedModel model;
  return model;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      auto request = emu::claude::DecodeRequest(input);
      if (request.ok()) {
        auto turn = Model().Respond(*request, "invoke");
        std::error_code ec;
        json::parse(emu::claude::EncodeResponse(turn.response, "claude"), ec);
        if (ec) std::abort();
        for (const auto& event : emu::claude::StreamEvents(turn.response, "claude", 5)) {
          json::parse(event, ec);
          if (ec) std::abort();
        }
      }
      break;
    }
    case 1:
    case 2: {
      auto request = emu::titan::DecodeRequest(input, data[0] % 6 == 1);
      if (request.ok()) {
        request->dimensions = 256;  // keep each run cheap
        std::error_code ec;
        json::parse(emu::titan::EncodeResponse(*request), ec);
        if (ec) std::abort();
      }
      break;
    }
    case 3:
      (void)emu::ParseFaultSpec(input);
      break;
    case 4: {
      std::error_code ec;
      json::value filter = json::parse(input, ec);
      if (!ec) {
        json::object metadata{{"lang", "en"}, {"year", 2024}, {"tags", json::array{"a", "b"}}};
        (void)emu::MatchesFilter(filter, metadata);
      }
      break;
    }
    default: {
      auto request = bedrock::llm::bedrock_converse::DecodeConverseRequest(input);
      if (request.ok()) CheckStreams(Model().Respond(*request, "converse").response);
      break;
    }
  }
  return 0;
}
