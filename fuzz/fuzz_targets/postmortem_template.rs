//! A postmortem template file, from bytes: parsed and validated as an import does, filled as a
//! new postmortem fills it, and written back out as an export does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::postmortem::Template;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(template) = Template::parse(source) else {
        return;
    };
    let _ = template.fill(|name| format!("[{name}]"), |name| format!("_{name}_"));

    // What an export writes, an import reads back the same.
    let again = Template::parse(&template.to_toml()).expect("an exported template parses");
    assert_eq!(again, template);
});
