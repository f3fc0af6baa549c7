;; i32.trunc_f32_s of a NaN: traps with "invalid conversion to integer".
;; (clang 14 never emits a trapping truncation from C, so this one is written by hand.)
(module
  (memory (export "memory") 1)
  (func $convert_nan_here (param $x f32) (result i32)
    local.get $x
    i32.trunc_f32_s)
  (func $_start (export "_start")
    f32.const nan
    call $convert_nan_here
    drop))
