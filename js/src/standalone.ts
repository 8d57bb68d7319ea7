/**
 * Entry of `standalone.js`, inlined in exported HTML reports: renders every view.
 */

import { runReport } from "./standalone/runtime";

void runReport(document);
