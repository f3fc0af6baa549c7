#include "common/error.hpp"

namespace lunatic {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::kIo:
      return "i/o error";
    case Errc::kMalformedModule:
      return "malformed module";
    case Errc::kInvalidModule:
      return "invalid module";
    case Errc::kUnsupportedFeature:
      return "unsupported feature";
    case Errc::kMissingImport:
      return "missing import";
    case Errc::kCompileFailed:
      return "compile failed";
    case Errc::kArtifactDamaged:
      return "artifact damaged";
    case Errc::kContractMismatch:
      return "contract mismatch";
    case Errc::kLoadFailed:
      return "load failed";
    case Errc::kInstantiateFailed:
      return "instantiate failed";
    case Errc::kInvalidArgument:
      return "invalid argument";
    case Errc::kCancelled:
      return "cancelled";
    case Errc::kLimitReached:
      return "limit reached";
  }
  return "unknown error";
}

}  // namespace lunatic
