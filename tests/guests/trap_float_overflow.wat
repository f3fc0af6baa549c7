;; i32.trunc_f64_s of 1e10, which no i32 can hold: traps with "integer overflow".
(module
  (memory (export "memory") 1)
  (func $truncate_too_big_here (param $x f64) (result i32)
    local.get $x
    i32.trunc_f64_s)
  (func $_start (export "_start")
    f64.const 1e10
    call $truncate_too_big_here
    drop))
