;; Uses the threads proposal: a shared memory and an atomic read-modify-write.
;; wat2wasm-flags: --enable-threads
(module
  (memory (export "memory") 1 1 shared)
  (func $_start (export "_start")
    i32.const 0
    i32.const 1
    i32.atomic.rmw.add
    drop))
