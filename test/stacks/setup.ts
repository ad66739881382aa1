// CDKTF's jest matchers (toHaveResourceWithProperties, toHaveDataSourceWithProperties…) for the stack tests.
import { Testing } from "cdktf";

Testing.setupJest();
