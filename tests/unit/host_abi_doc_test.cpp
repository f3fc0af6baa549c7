// docs/abi.md against the import table: every lunatic::* function the runtime offers is in the
// document's tables, under its namespace, with the signature it really has; and the document
// names no function the runtime lacks. (wasi_snapshot_preview1 has its own table test.)
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "host/host_imports.hpp"

namespace lunatic::host {
namespace {

std::vector<std::string> split(const std::string& text, const std::string& separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t at; (at = text.find(separator, start)) != std::string::npos;
       start = at + separator.size()) {
    parts.push_back(text.substr(start, at - start));
  }
  parts.push_back(text.substr(start));
  return parts;
}

std::string strip(const std::string& text) {
  const auto first = text.find_first_not_of(" `");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" `") - first + 1);
}

// "(id i64, ptr i32) -> i32" as the import table writes it: "(i64 i32) -> (i32)".
std::string table_signature(const std::string& documented) {
  static const std::regex shape(R"(\(([^)]*)\)(?:\s*->\s*(\(\)|\w+))?\s*)");
  std::smatch match;
  if (!std::regex_match(documented, match, shape)) return "unparsed: " + documented;
  std::string params;
  for (const std::string& param : split(match[1].str(), ",")) {
    if (strip(param).empty()) continue;
    const std::string type = strip(param).substr(strip(param).rfind(' ') + 1);
    params += (params.empty() ? "" : " ") + type;
  }
  const std::string result = match[2].str() == "()" ? "" : match[2].str();
  return "(" + params + ") -> (" + result + ")";
}

// "module::name" -> documented signature, from the "| function | signature | ... |" rows of each
// "## <module>" section. A cell may list several names ("a / b, c / d") with one signature for
// all or one per name of a group ("sig_a / sig_b").
std::map<std::string, std::string> documented_functions(const std::string& path) {
  std::ifstream file(path);
  std::map<std::string, std::string> documented;
  std::string line, module;
  while (std::getline(file, line)) {
    if (line.rfind("## ", 0) == 0) {
      module = split(line.substr(3), " ")[0];
      module = split(module, ",")[0];
      continue;
    }
    if (line.rfind("| `", 0) != 0) continue;
    const std::vector<std::string> cells = split(line, " | ");
    if (cells.size() < 3) continue;
    const std::vector<std::string> signatures = split(cells[1], "` / `");
    for (const std::string& group : split(cells[0].substr(2), "`, `")) {
      const std::vector<std::string> names = split(group, "` / `");
      std::string prefix = module;
      for (std::size_t i = 0; i < names.size(); ++i) {
        std::string name = strip(names[i]);
        // "lunatic::error::string_size / to_string": the first name sets the namespace.
        if (const auto last = name.rfind("::"); last != std::string::npos) {
          prefix = name.substr(0, last);
          name = name.substr(last + 2);
        }
        const std::string& signature =
            signatures[signatures.size() == 1 ? 0 : i % signatures.size()];
        documented[prefix + "::" + name] = table_signature(strip(signature));
      }
    }
  }
  return documented;
}

TEST(HostAbiDoc, ListsEveryLunaticFunctionWithItsSignature) {
  const auto documented = documented_functions(LUNATIC_ABI_DOC);
  ASSERT_FALSE(documented.empty()) << "no function tables read from " << LUNATIC_ABI_DOC;
  std::map<std::string, std::string> offered;
  for (const auto& function : host_imports().functions()) {
    if (function.module == "wasi_snapshot_preview1") continue;
    offered[function.module + "::" + function.name] = function.signature;
  }
  for (const auto& [name, signature] : offered) {
    const auto it = documented.find(name);
    if (it == documented.end()) {
      ADD_FAILURE() << name << " " << signature << " is not in docs/abi.md";
    } else {
      EXPECT_EQ(it->second, signature) << name << " is documented with another signature";
    }
  }
  for (const auto& [name, signature] : documented) {
    EXPECT_TRUE(offered.contains(name))
        << "docs/abi.md documents " << name << ", which the runtime does not offer";
  }
}

}  // namespace
}  // namespace lunatic::host
