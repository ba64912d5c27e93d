/* Where require.js places the Jupyter widgets HTML manager (this project's own file).
 *
 * embed-amd.js defines the AMD module "@jupyter-widgets/html-manager/dist/libembed-amd" and its
 * webpack bundle loads its Font Awesome fonts from the folder of that module's URL. Without a
 * path, require.js resolves it against the page's own folder (book/@jupyter-widgets/...), where
 * nothing is. This maps it to html-manager-dist/ beside this script (_static/widgets/), where
 * the fonts are vendored. Loaded after require.js and before embed-amd.js.
 */
(function () {
  "use strict";
  var here = document.currentScript.src.replace(/[?#].*$/, "");
  var base = here.slice(0, here.lastIndexOf("/") + 1);
  window.require.config({
    paths: {"@jupyter-widgets/html-manager/dist": base + "html-manager-dist"}
  });
})();
