#include "support/wat.hpp"

#include <wabt/binary-writer.h>
#include <wabt/error-formatter.h>
#include <wabt/feature.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/stream.h>
#include <wabt/validator.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include <stdexcept>

namespace lunatic::testing {

std::string wat_to_wasm(std::string_view wat, bool validate) {
  wabt::Errors errors;
  wabt::Features features;
  features.EnableAll();
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", wat.data(), wat.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::WastParseOptions parse_options(features);
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options)) ||
      wabt::Failed(wabt::ResolveNamesModule(module.get(), &errors)) ||
      (validate && wabt::Failed(wabt::ValidateModule(module.get(), &errors,
                                                     wabt::ValidateOptions(features))))) {
    throw std::runtime_error("bad test module: " +
                             wabt::FormatErrorsToString(errors, wabt::Location::Type::Text));
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, true, false, /*write_debug_names=*/true);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options))) {
    throw std::runtime_error("cannot write test module");
  }
  const auto& bytes = stream.output_buffer().data;
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace lunatic::testing
