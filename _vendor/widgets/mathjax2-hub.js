/* MathJax 2 -> 3 bridge for the Jupyter widgets HTML manager (this project's own file).
 *
 * @jupyter-widgets/controls typesets widget text with the MathJax 2 call
 *   MathJax.Hub.Queue(["Typeset", MathJax.Hub, element])
 * whenever window.MathJax exists (jupyter-widgets/ipywidgets issue #3829). The site loads
 * MathJax 3, which has no Hub, so every HTML/Label widget threw
 *   TypeError: Cannot read properties of undefined (reading 'Queue').
 * This script (loaded before require.js and embed-amd.js) provides MathJax.Hub.Queue and
 * forwards the elements to MathJax 3's typesetPromise once MathJax has started.
 * MathJax 3 replaces window.MathJax with its own object when it loads (the object found there
 * becomes its configuration), so Hub is put on the configuration now and on the real object in
 * startup.ready. Typeset requests made before MathJax has started wait for it.
 */
(function () {
  "use strict";
  var waiting = [];

  function typeset(elements) {
    var mj = window.MathJax;
    if (!(mj && mj.startup && mj.startup.promise && mj.typesetPromise)) {
      waiting.push.apply(waiting, elements);  // MathJax 3 not started yet
      return;
    }
    mj.startup.promise
      .then(function () { return mj.typesetPromise(elements.length ? elements : undefined); })
      .catch(function (err) { console.warn("MathJax typeset of a widget failed:", err); });
  }

  var hub = {
    Queue: function () {
      var elements = [];
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset" && job[2]) elements.push(job[2]);
      }
      if (elements.length) typeset(elements);
    }
  };

  var current = window.MathJax;
  if (current && current.version && current.startup) {  // MathJax 3 already running
    if (!current.Hub) current.Hub = hub;
    return;
  }
  var config = window.MathJax = current || {};
  config.Hub = hub;
  var startup = config.startup = config.startup || {};
  var ready = startup.ready;
  startup.ready = function () {
    if (ready) ready(); else window.MathJax.startup.defaultReady();
    window.MathJax.Hub = hub;
    if (waiting.length) {
      var elements = waiting;
      waiting = [];
      typeset(elements);
    }
  };
})();
