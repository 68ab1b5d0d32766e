// The sample legacy and new platforms land here with the demo issue.
import Hummingbird
import PasswordHashes
