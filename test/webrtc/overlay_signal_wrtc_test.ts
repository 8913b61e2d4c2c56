/** Connection setup through the overlay, on wrtc: see test/support/overlay_signal_suite.ts. */

import { overlaySignalSuite } from "../support/overlay_signal_suite.ts";

overlaySignalSuite("wrtc");
