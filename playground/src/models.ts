// The playground's models, shared by the app (its fallback chain), the load control and the backend (its default).
/** The model the chat asks for (the handler's default). */
export const MAIN_MODEL = 'claude-sonnet-5-5';
/** Offered when the main model has held a request up for a while. */
export const FALLBACK_MODEL = 'claude-haiku-4-5';
