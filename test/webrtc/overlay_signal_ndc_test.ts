/** Connection setup through the overlay, on node-datachannel: see test/support/overlay_signal_suite.ts. */

import { overlaySignalSuite } from "../support/overlay_signal_suite.ts";

overlaySignalSuite("node-datachannel");
