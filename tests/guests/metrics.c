// metrics.wasm <mode>: lunatic::metrics as Lunatic 0.13 defines it.
//
//   serve        sets a counter, a gauge and a histogram (names with '.', as lunatic-rs's
//                examples use), says "metrics set", then sleeps so the test can scrape them
//   bad FN WHAT  FN (counter, gauge, histogram) with WHAT (name_oob, not_utf8): traps
#include <stdlib.h>

#include "proc_util.h"

#define NAME(s) LUNATIC_PTR(s), (uint32_t)strlen(s)

static void serve(void) {
  lunatic_metrics_counter(NAME("requests.total"), 2);
  lunatic_metrics_increment_counter(NAME("requests.total"));
  lunatic_metrics_gauge(NAME("queue.depth"), 10.0);
  lunatic_metrics_increment_gauge(NAME("queue.depth"), 2.5);
  lunatic_metrics_decrement_gauge(NAME("queue.depth"), 0.5);
  lunatic_metrics_histogram(NAME("latency.seconds"), 0.003);
  lunatic_metrics_histogram(NAME("latency.seconds"), 0.2);
  lunatic_metrics_histogram(NAME("latency.seconds"), 30.0);
  // Another kind under a name in use is ignored, as the docs say.
  lunatic_metrics_gauge(NAME("requests.total"), 99.0);
  say("metrics set");
  lunatic_sleep_ms(60000);
}

static void bad(const char* fn, const char* what) {
  static const char not_utf8[] = {'b', (char)0xff, 'd'};
  uint32_t ptr = strcmp(what, "name_oob") == 0 ? BAD_PTR : LUNATIC_PTR(not_utf8);
  uint32_t len = sizeof not_utf8;
  say("calling %s with %s", fn, what);
  if (strcmp(fn, "counter") == 0) lunatic_metrics_counter(ptr, len, 1);
  if (strcmp(fn, "gauge") == 0) lunatic_metrics_gauge(ptr, len, 1.0);
  if (strcmp(fn, "histogram") == 0) lunatic_metrics_histogram(ptr, len, 1.0);
  say("survived");
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "serve") == 0) serve();
  if (argc >= 4 && strcmp(argv[1], "bad") == 0) bad(argv[2], argv[3]);
  return 0;
}
