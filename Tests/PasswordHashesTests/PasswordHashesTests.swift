// PasswordHashes has no behaviour yet (see ../shared/DESIGN.md); its tests arrive with
// the issue that builds it. This file keeps the test target in place.
import PasswordHashes
