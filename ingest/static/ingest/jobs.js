// The Process video page. The form is sent with XMLHttpRequest to show the upload's progress; the view answers
// with a fragment (the jobs queued, or every problem in plain words) and the queue refreshes on "jobs-changed".
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("job-form");
  if (!form) return; // viewers follow the queue only
  var button = form.querySelector("button[type=submit]");
  var bar = document.getElementById("upload-progress");
  var percent = document.getElementById("upload-percent");
  var result = document.getElementById("job-form-result");

  function done() {
    button.disabled = false;
    bar.hidden = true;
    percent.textContent = "";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) return;
      bar.value = (100 * progress.loaded) / progress.total;
      percent.textContent = "Uploading… " + Math.floor(bar.value) + "%";
    });
    request.addEventListener("load", function () {
      done();
      if ([201, 400, 403, 413].indexOf(request.status) >= 0) {
        result.innerHTML = request.responseText; // the view's own fragment
      } else {
        result.innerHTML = '<ul class="errorlist"><li></li></ul>';
        result.querySelector("li").textContent = "The server refused the upload (HTTP " + request.status + ").";
      }
      if (request.status === 201) {
        form.reset();
        htmx.trigger(document.body, "jobs-changed");
      }
    });
    request.addEventListener("error", function () {
      done();
      result.innerHTML = '<ul class="errorlist"><li>The upload stopped: the connection was lost. Try again.</li></ul>';
    });
    button.disabled = true;
    bar.value = 0;
    bar.hidden = false;
    result.innerHTML = "";
    request.send(new FormData(form));
  });
});

// A refused cancel or retry answers 400/403 with the queue and the reason: show it rather than drop it.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status === 400 || status === 403) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
