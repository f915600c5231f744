// Start GOV.UK Frontend's components (service navigation, skip link, ...) as its 6.x docs ask:
// an ES module calling initAll. Kept in a file, not inline, so a strict CSP stays possible.
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
