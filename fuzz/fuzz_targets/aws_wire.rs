#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| schemabus_fuzz::aws_wire(data));
