;; The dot products of one vector with many rows of 32-bit floats, four lanes at a time (WebAssembly SIMD).
;; Assembled into dot-products-wasm.ts by scripts/assemble-dot-products.ts; the test checks the two agree.
(module
  (memory (export "memory") 1)
  ;; out[r] = sum over i of vector[i] * rows[r][i], for r below `count`; `stride` is a row's length in
  ;; bytes, a multiple of 16 (rows padded with zeros); every address is a byte offset into `memory`.
  (func (export "dotProducts") (param $vector i32) (param $rows i32) (param $count i32) (param $stride i32) (param $out i32)
    (local $row i32) (local $end i32) (local $at i32) (local $sum v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $row (local.get $rows))
    (block $done
      (loop $each_row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $at (i32.const 0))
        (block $row_done
          (loop $each_lane
            (br_if $row_done (i32.ge_u (local.get $at) (local.get $stride)))
            (local.set $sum
              (f32x4.add (local.get $sum)
                (f32x4.mul (v128.load (i32.add (local.get $vector) (local.get $at)))
                           (v128.load (i32.add (local.get $row) (local.get $at))))))
            (local.set $at (i32.add (local.get $at) (i32.const 16)))
            (br $each_lane)))
        (f32.store (local.get $out)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
            (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum)))))
        (local.set $row (i32.add (local.get $row) (local.get $stride)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $each_row)))))
