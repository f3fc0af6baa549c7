;; Uses the exception-handling proposal: a tag, throw, try and catch.
;; wat2wasm-flags: --enable-exceptions
(module
  (memory (export "memory") 1)
  (tag $oops (param i32))
  (func $_start (export "_start")
    try
      i32.const 42
      throw $oops
    catch $oops
      drop
    end))
