// LUNATIC_INLINE forces a function of the message path inline. Each call the inliner leaves in
// place costs a native frame on the process's own stack, and with a thousand processes taking
// turns every extra cache line touched per message is a miss: clang's default choices made the
// SDK's ring benchmark 25% slower than the raw imports, inlined it is within a few percent.
#pragma once

#define LUNATIC_INLINE [[gnu::always_inline]] inline
