#include "wasi/errno_map.hpp"

#include <cerrno>

namespace lunatic::wasi {

Errno errno_of_call(int rc) { return rc == 0 ? Errno::kSuccess : errno_from_host(errno); }

Errno errno_from_host(int host_errno) {
  switch (host_errno) {
    case 0:
      return Errno::kSuccess;
    case E2BIG:
      return Errno::k2Big;
    case EACCES:
      return Errno::kAcces;
    case EADDRINUSE:
      return Errno::kAddrInUse;
    case EADDRNOTAVAIL:
      return Errno::kAddrNotAvail;
    case EAFNOSUPPORT:
      return Errno::kAfNoSupport;
    case EAGAIN:
      return Errno::kAgain;  // == EWOULDBLOCK on Linux
    case EALREADY:
      return Errno::kAlready;
    case EBADF:
      return Errno::kBadf;
    case EBADMSG:
      return Errno::kBadMsg;
    case EBUSY:
      return Errno::kBusy;
    case ECANCELED:
      return Errno::kCanceled;
    case ECHILD:
      return Errno::kChild;
    case ECONNABORTED:
      return Errno::kConnAborted;
    case ECONNREFUSED:
      return Errno::kConnRefused;
    case ECONNRESET:
      return Errno::kConnReset;
    case EDEADLK:
      return Errno::kDeadlk;
    case EDESTADDRREQ:
      return Errno::kDestAddrReq;
    case EDOM:
      return Errno::kDom;
    case EDQUOT:
      return Errno::kDquot;
    case EEXIST:
      return Errno::kExist;
    case EFAULT:
      return Errno::kFault;
    case EFBIG:
      return Errno::kFbig;
    case EHOSTUNREACH:
      return Errno::kHostUnreach;
    case EIDRM:
      return Errno::kIdrm;
    case EILSEQ:
      return Errno::kIlseq;
    case EINPROGRESS:
      return Errno::kInProgress;
    case EINTR:
      return Errno::kIntr;
    case EINVAL:
      return Errno::kInval;
    case EIO:
      return Errno::kIo;
    case EISCONN:
      return Errno::kIsConn;
    case EISDIR:
      return Errno::kIsDir;
    case ELOOP:
      return Errno::kLoop;
    case EMFILE:
      return Errno::kMfile;
    case EMLINK:
      return Errno::kMlink;
    case EMSGSIZE:
      return Errno::kMsgSize;
    case EMULTIHOP:
      return Errno::kMultihop;
    case ENAMETOOLONG:
      return Errno::kNameTooLong;
    case ENETDOWN:
      return Errno::kNetDown;
    case ENETRESET:
      return Errno::kNetReset;
    case ENETUNREACH:
      return Errno::kNetUnreach;
    case ENFILE:
      return Errno::kNfile;
    case ENOBUFS:
      return Errno::kNoBufs;
    case ENODEV:
      return Errno::kNoDev;
    case ENOENT:
      return Errno::kNoEnt;
    case ENOEXEC:
      return Errno::kNoExec;
    case ENOLCK:
      return Errno::kNoLck;
    case ENOLINK:
      return Errno::kNoLink;
    case ENOMEM:
      return Errno::kNoMem;
    case ENOMSG:
      return Errno::kNoMsg;
    case ENOPROTOOPT:
      return Errno::kNoProtoOpt;
    case ENOSPC:
      return Errno::kNoSpc;
    case ENOSYS:
      return Errno::kNoSys;
    case ENOTCONN:
      return Errno::kNotConn;
    case ENOTDIR:
      return Errno::kNotDir;
    case ENOTEMPTY:
      return Errno::kNotEmpty;
    case ENOTRECOVERABLE:
      return Errno::kNotRecoverable;
    case ENOTSOCK:
      return Errno::kNotSock;
    case ENOTSUP:
      return Errno::kNotSup;  // == EOPNOTSUPP on Linux
    case ENOTTY:
      return Errno::kNotTy;
    case ENXIO:
      return Errno::kNxio;
    case EOVERFLOW:
      return Errno::kOverflow;
    case EOWNERDEAD:
      return Errno::kOwnerDead;
    case EPERM:
      return Errno::kPerm;
    case EPIPE:
      return Errno::kPipe;
    case EPROTO:
      return Errno::kProto;
    case EPROTONOSUPPORT:
      return Errno::kProtoNoSupport;
    case EPROTOTYPE:
      return Errno::kProtoType;
    case ERANGE:
      return Errno::kRange;
    case EROFS:
      return Errno::kRofs;
    case ESPIPE:
      return Errno::kSpipe;
    case ESRCH:
      return Errno::kSrch;
    case ESTALE:
      return Errno::kStale;
    case ETIMEDOUT:
      return Errno::kTimedOut;
    case ETXTBSY:
      return Errno::kTxtBsy;
    case EXDEV:
      return Errno::kXdev;
    default:
      return Errno::kIo;
  }
}

Errno errno_from_resolve(int host_errno) {
  if (host_errno == EXDEV) return Errno::kNotCapable;
  return errno_from_host(host_errno);
}

const char* errno_name(Errno e) {
  static constexpr const char* kNames[] = {
      "success",     "2big",           "acces",       "addrinuse",   "addrnotavail",
      "afnosupport", "again",          "already",     "badf",        "badmsg",
      "busy",        "canceled",       "child",       "connaborted", "connrefused",
      "connreset",   "deadlk",         "destaddrreq", "dom",         "dquot",
      "exist",       "fault",          "fbig",        "hostunreach", "idrm",
      "ilseq",       "inprogress",     "intr",        "inval",       "io",
      "isconn",      "isdir",          "loop",        "mfile",       "mlink",
      "msgsize",     "multihop",       "nametoolong", "netdown",     "netreset",
      "netunreach",  "nfile",          "nobufs",      "nodev",       "noent",
      "noexec",      "nolck",          "nolink",      "nomem",       "nomsg",
      "noprotoopt",  "nospc",          "nosys",       "notconn",     "notdir",
      "notempty",    "notrecoverable", "notsock",     "notsup",      "notty",
      "nxio",        "overflow",       "ownerdead",   "perm",        "pipe",
      "proto",       "protonosupport", "prototype",   "range",       "rofs",
      "spipe",       "srch",           "stale",       "timedout",    "txtbsy",
      "xdev",        "notcapable",
  };
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == 77);
  auto index = static_cast<std::size_t>(e);
  return index < 77 ? kNames[index] : "unknown";
}

}  // namespace lunatic::wasi
