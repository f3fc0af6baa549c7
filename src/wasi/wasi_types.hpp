// wasi_snapshot_preview1 vocabulary: errno values, flags, rights and the byte layouts of the
// structures the guest reads and writes, exactly as the witx files define them.
//
// Everything here is a plain value; the encoders write into spans that the host thunks have
// already bounds-checked through engine::GuestMemory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>

namespace lunatic::wasi {

// The witx `errno` enum (u16). Numbers are part of the ABI; never renumber.
enum class Errno : std::uint16_t {
  kSuccess = 0,
  k2Big = 1,
  kAcces = 2,
  kAddrInUse = 3,
  kAddrNotAvail = 4,
  kAfNoSupport = 5,
  kAgain = 6,
  kAlready = 7,
  kBadf = 8,
  kBadMsg = 9,
  kBusy = 10,
  kCanceled = 11,
  kChild = 12,
  kConnAborted = 13,
  kConnRefused = 14,
  kConnReset = 15,
  kDeadlk = 16,
  kDestAddrReq = 17,
  kDom = 18,
  kDquot = 19,
  kExist = 20,
  kFault = 21,
  kFbig = 22,
  kHostUnreach = 23,
  kIdrm = 24,
  kIlseq = 25,
  kInProgress = 26,
  kIntr = 27,
  kInval = 28,
  kIo = 29,
  kIsConn = 30,
  kIsDir = 31,
  kLoop = 32,
  kMfile = 33,
  kMlink = 34,
  kMsgSize = 35,
  kMultihop = 36,
  kNameTooLong = 37,
  kNetDown = 38,
  kNetReset = 39,
  kNetUnreach = 40,
  kNfile = 41,
  kNoBufs = 42,
  kNoDev = 43,
  kNoEnt = 44,
  kNoExec = 45,
  kNoLck = 46,
  kNoLink = 47,
  kNoMem = 48,
  kNoMsg = 49,
  kNoProtoOpt = 50,
  kNoSpc = 51,
  kNoSys = 52,
  kNotConn = 53,
  kNotDir = 54,
  kNotEmpty = 55,
  kNotRecoverable = 56,
  kNotSock = 57,
  kNotSup = 58,
  kNotTy = 59,
  kNxio = 60,
  kOverflow = 61,
  kOwnerDead = 62,
  kPerm = 63,
  kPipe = 64,
  kProto = 65,
  kProtoNoSupport = 66,
  kProtoType = 67,
  kRange = 68,
  kRofs = 69,
  kSpipe = 70,
  kSrch = 71,
  kStale = 72,
  kTimedOut = 73,
  kTxtBsy = 74,
  kXdev = 75,
  kNotCapable = 76,
};

// The value a host function returns to the guest for `e`.
constexpr std::uint32_t to_guest(Errno e) { return static_cast<std::uint32_t>(e); }

// A value or an Errno: what every WASI service returns.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Errno error) : error_(error) {}

  bool ok() const { return error_ == Errno::kSuccess; }
  Errno error() const { return error_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T* operator->() { return &value_; }
  T& operator*() { return value_; }

 private:
  T value_{};
  Errno error_ = Errno::kSuccess;
};

// witx `filetype` (u8).
enum class FileType : std::uint8_t {
  kUnknown = 0,
  kBlockDevice = 1,
  kCharacterDevice = 2,
  kDirectory = 3,
  kRegularFile = 4,
  kSocketDgram = 5,
  kSocketStream = 6,
  kSymbolicLink = 7,
};

using Rights = std::uint64_t;
namespace rights {
inline constexpr Rights kFdDatasync = 1ull << 0;
inline constexpr Rights kFdRead = 1ull << 1;
inline constexpr Rights kFdSeek = 1ull << 2;
inline constexpr Rights kFdFdstatSetFlags = 1ull << 3;
inline constexpr Rights kFdSync = 1ull << 4;
inline constexpr Rights kFdTell = 1ull << 5;
inline constexpr Rights kFdWrite = 1ull << 6;
inline constexpr Rights kFdAdvise = 1ull << 7;
inline constexpr Rights kFdAllocate = 1ull << 8;
inline constexpr Rights kPathCreateDirectory = 1ull << 9;
inline constexpr Rights kPathCreateFile = 1ull << 10;
inline constexpr Rights kPathLinkSource = 1ull << 11;
inline constexpr Rights kPathLinkTarget = 1ull << 12;
inline constexpr Rights kPathOpen = 1ull << 13;
inline constexpr Rights kFdReaddir = 1ull << 14;
inline constexpr Rights kPathReadlink = 1ull << 15;
inline constexpr Rights kPathRenameSource = 1ull << 16;
inline constexpr Rights kPathRenameTarget = 1ull << 17;
inline constexpr Rights kPathFilestatGet = 1ull << 18;
inline constexpr Rights kPathFilestatSetSize = 1ull << 19;
inline constexpr Rights kPathFilestatSetTimes = 1ull << 20;
inline constexpr Rights kFdFilestatGet = 1ull << 21;
inline constexpr Rights kFdFilestatSetSize = 1ull << 22;
inline constexpr Rights kFdFilestatSetTimes = 1ull << 23;
inline constexpr Rights kPathSymlink = 1ull << 24;
inline constexpr Rights kPathRemoveDirectory = 1ull << 25;
inline constexpr Rights kPathUnlinkFile = 1ull << 26;
inline constexpr Rights kPollFdReadwrite = 1ull << 27;
inline constexpr Rights kSockShutdown = 1ull << 28;
inline constexpr Rights kSockAccept = 1ull << 29;
inline constexpr Rights kAll = (1ull << 30) - 1;

// What a byte stream (file, pipe, terminal, socket) can be asked to do.
inline constexpr Rights kRegularFile =
    kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync | kFdTell | kFdWrite | kFdAdvise |
    kFdAllocate | kFdFilestatGet | kFdFilestatSetSize | kFdFilestatSetTimes | kPollFdReadwrite;
// What a directory descriptor can be asked to do itself.
inline constexpr Rights kDirectory =
    kFdFdstatSetFlags | kFdSync | kFdAdvise | kPathCreateDirectory | kPathCreateFile |
    kPathLinkSource | kPathLinkTarget | kPathOpen | kFdReaddir | kPathReadlink | kPathRenameSource |
    kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize | kPathFilestatSetTimes |
    kFdFilestatGet | kFdFilestatSetTimes | kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile |
    kPollFdReadwrite;
// A terminal: wasi-libc's isatty() requires a character device without seek and tell.
inline constexpr Rights kTty = kRegularFile & ~(kFdSeek | kFdTell);
inline constexpr Rights kSocket = kRegularFile | kSockShutdown | kSockAccept;
}  // namespace rights

using FdFlags = std::uint16_t;
namespace fdflags {
inline constexpr FdFlags kAppend = 1 << 0;
inline constexpr FdFlags kDsync = 1 << 1;
inline constexpr FdFlags kNonblock = 1 << 2;
inline constexpr FdFlags kRsync = 1 << 3;
inline constexpr FdFlags kSync = 1 << 4;
inline constexpr FdFlags kAll = kAppend | kDsync | kNonblock | kRsync | kSync;
}  // namespace fdflags

namespace oflags {
inline constexpr std::uint32_t kCreat = 1 << 0;
inline constexpr std::uint32_t kDirectory = 1 << 1;
inline constexpr std::uint32_t kExcl = 1 << 2;
inline constexpr std::uint32_t kTrunc = 1 << 3;
inline constexpr std::uint32_t kAll = kCreat | kDirectory | kExcl | kTrunc;
}  // namespace oflags

namespace lookupflags {
inline constexpr std::uint32_t kSymlinkFollow = 1 << 0;
}

namespace fstflags {
inline constexpr std::uint32_t kAtim = 1 << 0;
inline constexpr std::uint32_t kAtimNow = 1 << 1;
inline constexpr std::uint32_t kMtim = 1 << 2;
inline constexpr std::uint32_t kMtimNow = 1 << 3;
inline constexpr std::uint32_t kAll = kAtim | kAtimNow | kMtim | kMtimNow;
}  // namespace fstflags

enum class Whence : std::uint8_t { kSet = 0, kCur = 1, kEnd = 2 };

enum class ClockId : std::uint32_t {
  kRealtime = 0,
  kMonotonic = 1,
  kProcessCputime = 2,
  kThreadCputime = 3,
};

enum class Advice : std::uint8_t {
  kNormal = 0,
  kSequential = 1,
  kRandom = 2,
  kWillNeed = 3,
  kDontNeed = 4,
  kNoReuse = 5,
};

enum class EventType : std::uint8_t { kClock = 0, kFdRead = 1, kFdWrite = 2 };

namespace eventrwflags {
inline constexpr std::uint16_t kHangup = 1 << 0;
}
namespace subclockflags {
inline constexpr std::uint16_t kAbstime = 1 << 0;
}
namespace riflags {
inline constexpr std::uint32_t kPeek = 1 << 0;
inline constexpr std::uint32_t kWaitall = 1 << 1;
}  // namespace riflags
namespace roflags {
inline constexpr std::uint16_t kDataTruncated = 1 << 0;
}
namespace sdflags {
inline constexpr std::uint32_t kRd = 1 << 0;
inline constexpr std::uint32_t kWr = 1 << 1;
}  // namespace sdflags

inline constexpr std::uint8_t kPreopenTypeDir = 0;

// ---- Structure layouts (little-endian, natural alignment, as in the witx) ----

inline constexpr std::size_t kIovecSize = 8;          // buf u32 @0, buf_len u32 @4
inline constexpr std::size_t kFdstatSize = 24;        // see encode_fdstat
inline constexpr std::size_t kFilestatSize = 64;      // see encode_filestat
inline constexpr std::size_t kPrestatSize = 8;        // tag u8 @0, pr_name_len u32 @4
inline constexpr std::size_t kSubscriptionSize = 48;  // see decode_subscription
inline constexpr std::size_t kEventSize = 32;         // see encode_event
inline constexpr std::size_t kDirentSize = 24;        // see encode_dirents (readdir.hpp)

struct Fdstat {
  FileType filetype = FileType::kUnknown;
  FdFlags flags = 0;
  Rights rights_base = 0;
  Rights rights_inheriting = 0;
};

struct Filestat {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  FileType filetype = FileType::kUnknown;
  std::uint64_t nlink = 0;
  std::uint64_t size = 0;
  std::uint64_t atim = 0;  // nanoseconds since the epoch
  std::uint64_t mtim = 0;
  std::uint64_t ctim = 0;
};

struct Subscription {
  std::uint64_t userdata = 0;
  EventType type = EventType::kClock;
  // type == kClock
  std::uint32_t clock_id = 0;
  std::uint64_t timeout = 0;
  std::uint64_t precision = 0;
  std::uint16_t clock_flags = 0;
  // type == kFdRead or kFdWrite
  std::uint32_t fd = 0;
};

struct Event {
  std::uint64_t userdata = 0;
  Errno error = Errno::kSuccess;
  EventType type = EventType::kClock;
  std::uint64_t nbytes = 0;  // fd events only
  std::uint16_t flags = 0;   // eventrwflags, fd events only
};

namespace layout {
template <class T>
inline void put(std::span<std::uint8_t> out, std::size_t offset, T value) {
  std::memcpy(out.data() + offset, &value, sizeof(T));
}
template <class T>
inline T get(std::span<const std::uint8_t> in, std::size_t offset) {
  T value;
  std::memcpy(&value, in.data() + offset, sizeof(T));
  return value;
}
}  // namespace layout

// Writes a 24-byte fdstat: filetype u8 @0, flags u16 @2, rights_base u64 @8,
// rights_inheriting u64 @16. `out` must be exactly kFdstatSize bytes.
inline void encode_fdstat(const Fdstat& s, std::span<std::uint8_t, kFdstatSize> out) {
  std::memset(out.data(), 0, out.size());
  layout::put<std::uint8_t>(out, 0, static_cast<std::uint8_t>(s.filetype));
  layout::put<std::uint16_t>(out, 2, s.flags);
  layout::put<std::uint64_t>(out, 8, s.rights_base);
  layout::put<std::uint64_t>(out, 16, s.rights_inheriting);
}

// Writes a 64-byte filestat: dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40,
// mtim @48, ctim @56 (all u64 but filetype).
inline void encode_filestat(const Filestat& s, std::span<std::uint8_t, kFilestatSize> out) {
  std::memset(out.data(), 0, out.size());
  layout::put<std::uint64_t>(out, 0, s.dev);
  layout::put<std::uint64_t>(out, 8, s.ino);
  layout::put<std::uint8_t>(out, 16, static_cast<std::uint8_t>(s.filetype));
  layout::put<std::uint64_t>(out, 24, s.nlink);
  layout::put<std::uint64_t>(out, 32, s.size);
  layout::put<std::uint64_t>(out, 40, s.atim);
  layout::put<std::uint64_t>(out, 48, s.mtim);
  layout::put<std::uint64_t>(out, 56, s.ctim);
}

// Writes an 8-byte prestat for a directory whose guest name is `name_len` bytes long.
inline void encode_prestat_dir(std::uint32_t name_len, std::span<std::uint8_t, kPrestatSize> out) {
  std::memset(out.data(), 0, out.size());
  layout::put<std::uint8_t>(out, 0, kPreopenTypeDir);
  layout::put<std::uint32_t>(out, 4, name_len);
}

// Reads a 48-byte subscription: userdata u64 @0, tag u8 @8, then the union at @16:
// clock {id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40} or
// fd_readwrite {fd u32 @16}.
// Returns: the subscription, or EINVAL for an unknown tag.
inline Result<Subscription> decode_subscription(
    std::span<const std::uint8_t, kSubscriptionSize> in) {
  Subscription s;
  s.userdata = layout::get<std::uint64_t>(in, 0);
  std::uint8_t tag = layout::get<std::uint8_t>(in, 8);
  if (tag > static_cast<std::uint8_t>(EventType::kFdWrite)) return Errno::kInval;
  s.type = static_cast<EventType>(tag);
  if (s.type == EventType::kClock) {
    s.clock_id = layout::get<std::uint32_t>(in, 16);
    s.timeout = layout::get<std::uint64_t>(in, 24);
    s.precision = layout::get<std::uint64_t>(in, 32);
    s.clock_flags = layout::get<std::uint16_t>(in, 40);
  } else {
    s.fd = layout::get<std::uint32_t>(in, 16);
  }
  return s;
}

// Writes a 32-byte event: userdata u64 @0, error u16 @8, type u8 @10,
// fd_readwrite {nbytes u64 @16, flags u16 @24}.
inline void encode_event(const Event& e, std::span<std::uint8_t, kEventSize> out) {
  std::memset(out.data(), 0, out.size());
  layout::put<std::uint64_t>(out, 0, e.userdata);
  layout::put<std::uint16_t>(out, 8, static_cast<std::uint16_t>(e.error));
  layout::put<std::uint8_t>(out, 10, static_cast<std::uint8_t>(e.type));
  layout::put<std::uint64_t>(out, 16, e.nbytes);
  layout::put<std::uint16_t>(out, 24, e.flags);
}

}  // namespace lunatic::wasi
