/** Starts the render thread for the bundles in `dist` (the code caches of the entry `user`, default `main`); whether one waits. */
export declare function startSiteThread(dist: string, user?: string): boolean;
/** Where the started thread waits to be taken. */
export declare const SITE_THREAD: unique symbol;
