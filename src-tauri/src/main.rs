//! Entry point of the Tocsin desktop app; everything lives in the library so tests can reach it.

// Without this a release build on Windows would open a console window beside the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tocsin_desktop::run();
}
