import { InMemoryEventStore } from "../../events/adapters.js";
import { describeEventStore } from "./conformance.js";

describeEventStore("in-memory", async () => ({ store: new InMemoryEventStore(), cleanup: async () => {} }));
