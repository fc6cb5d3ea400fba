/** esbuild bundles imported stylesheets into the CSS file named in index.html. */
declare module '*.css';
