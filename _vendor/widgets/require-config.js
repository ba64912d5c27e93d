/* Where require.js places the Jupyter widgets HTML manager (this project's own file).
 *
 * embed-amd.js defines four AMD modules ("@jupyter-widgets/base", ".../controls",
 * ".../html-manager" and ".../html-manager/dist/libembed-amd"), and each of their webpack
 * bundles loads its Font Awesome fonts from the folder of its own module's URL. Without a path,
 * require.js resolves such a URL against the page's own folder (book/@jupyter-widgets/...),
 * where nothing is. This maps all four into html-manager-dist/ beside this script
 * (_static/widgets/), where the fonts are vendored. Mapping only the last one left the other
 * bundles' @font-face rules pointing at the page's folder, and whichever bundle's styles came
 * last decided where the browser looked: a failed load on some page loads, not others.
 * Loaded after require.js and before embed-amd.js.
 */
(function () {
  "use strict";
  var here = document.currentScript.src.replace(/[?#].*$/, "");
  var dist = here.slice(0, here.lastIndexOf("/") + 1) + "html-manager-dist";
  window.require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": dist,
      "@jupyter-widgets/html-manager": dist + "/html-manager",
      "@jupyter-widgets/controls": dist + "/controls",
      "@jupyter-widgets/base": dist + "/base"
    }
  });
})();
