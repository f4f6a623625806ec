;; The dot products of one vector with many rows of signed bytes, eight at a time (WebAssembly SIMD).
;; Assembled into dot-products-wasm.ts by scripts/assemble-dot-products.ts; the test checks the two agree.
(module
  (memory (export "memory") 1)
  ;; out[r] = sum over i of vector[i] * rows[r][i] as a 32-bit integer, for r below `count`; `stride` is
  ;; a row's length in bytes, a multiple of 8 (rows padded with zeros); every address is a byte offset
  ;; into `memory`, `out` a multiple of 4.
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
            ;; eight bytes of each, widened to 16 bits, multiplied and summed pairwise into four 32-bit lanes
            (local.set $sum
              (i32x4.add (local.get $sum)
                (i32x4.dot_i16x8_s
                  (v128.load8x8_s (i32.add (local.get $vector) (local.get $at)))
                  (v128.load8x8_s (i32.add (local.get $row) (local.get $at))))))
            (local.set $at (i32.add (local.get $at) (i32.const 8)))
            (br $each_lane)))
        (i32.store (local.get $out)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
            (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum)))))
        (local.set $row (i32.add (local.get $row) (local.get $stride)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $each_row)))))
