// What the window says while the local database cannot be written, by the core's error code.
import type { LocalFault } from "./bindings/LocalFault";
import { plain } from "./format";

/** The banner's sentence: what is wrong, that the cache is still there, what to do. */
export function localFaultText(fault: LocalFault): string {
  switch (fault.code) {
    case "disk_full":
      return (
        "The disk is full: Tocsin cannot save what it syncs. It still shows what it has " +
        "cached and catches up by itself once you free some space."
      );
    case "store_busy":
      return (
        "Another program holds Tocsin's database locked (a backup tool or an sqlite3 shell, " +
        "say). Tocsin still shows what it has cached and catches up by itself once the lock " +
        "is released."
      );
    default:
      return (
        `Tocsin cannot write to its local database: ${plain(fault.message)}. It still shows ` +
        "what it has cached and keeps retrying."
      );
  }
}
