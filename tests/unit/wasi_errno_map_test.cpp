#include <cerrno>
#include <utility>

#include <gtest/gtest.h>

#include "wasi/errno_map.hpp"

namespace lunatic::wasi {
namespace {

TEST(WasiErrno, MapsHostErrnoValuesToTheirWitxNumbers) {
  const std::pair<int, int> expected[] = {
      {0, 0},          {E2BIG, 1},      {EACCES, 2},        {EAGAIN, 6},   {EBADF, 8},
      {EBUSY, 10},     {EEXIST, 20},    {EFAULT, 21},       {EFBIG, 22},   {EILSEQ, 25},
      {EINTR, 27},     {EINVAL, 28},    {EIO, 29},          {EISDIR, 31},  {ELOOP, 32},
      {EMFILE, 33},    {EMLINK, 34},    {ENAMETOOLONG, 37}, {ENOENT, 44},  {ENOMEM, 48},
      {ENOSPC, 51},    {ENOSYS, 52},    {ENOTCONN, 53},     {ENOTDIR, 54}, {ENOTEMPTY, 55},
      {ENOTSOCK, 57},  {ENOTSUP, 58},   {EOPNOTSUPP, 58},   {ENOTTY, 59},  {ENXIO, 60},
      {EOVERFLOW, 61}, {EPERM, 63},     {EPIPE, 64},        {ERANGE, 68},  {EROFS, 69},
      {ESPIPE, 70},    {ETIMEDOUT, 73}, {ETXTBSY, 74},      {EXDEV, 75},   {ECONNRESET, 15},
  };
  for (const auto& [host, wasi] : expected) {
    EXPECT_EQ(static_cast<int>(errno_from_host(host)), wasi) << "host errno " << host;
  }
}

TEST(WasiErrno, MapsHostErrnoValuesWithoutAWasiNameToEio) {
  EXPECT_EQ(errno_from_host(ENOTBLK), Errno::kIo);
  EXPECT_EQ(errno_from_host(ECHRNG), Errno::kIo);
  EXPECT_EQ(errno_from_host(123456), Errno::kIo);
}

TEST(WasiErrno, TurnsAResolutionEscapeIntoNotCapableButKeepsOtherCrossDeviceErrors) {
  EXPECT_EQ(errno_from_resolve(EXDEV), Errno::kNotCapable);
  EXPECT_EQ(static_cast<int>(Errno::kNotCapable), 76);
  EXPECT_EQ(errno_from_resolve(ENOENT), Errno::kNoEnt);
  EXPECT_EQ(errno_from_host(EXDEV), Errno::kXdev);  // rename/link across file systems
}

TEST(WasiErrno, NamesEveryValueAsTheWitxDoes) {
  EXPECT_STREQ(errno_name(Errno::kSuccess), "success");
  EXPECT_STREQ(errno_name(Errno::k2Big), "2big");
  EXPECT_STREQ(errno_name(Errno::kBadf), "badf");
  EXPECT_STREQ(errno_name(Errno::kNotCapable), "notcapable");
  EXPECT_STREQ(errno_name(static_cast<Errno>(200)), "unknown");
}

}  // namespace
}  // namespace lunatic::wasi
