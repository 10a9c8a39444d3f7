// SPDX-License-Identifier: Apache-2.0
// Form behaviour without inline handlers (the Content-Security-Policy forbids them):
// <form data-confirm="question?"> asks before submitting; <select data-autosubmit> submits its form on change.
document.addEventListener('submit', function (e) {
  const question = e.target.dataset && e.target.dataset.confirm;
  if (question && !window.confirm(question)) e.preventDefault();
});
document.addEventListener('change', function (e) {
  if (e.target.matches && e.target.matches('select[data-autosubmit]') && e.target.form) e.target.form.submit();
});
