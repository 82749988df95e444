#pragma once

#include <QString>

// Text that came from the server (poll questions, options, themes, shard names) is
// shown as plain text everywhere. Most widgets do that when told to; these helpers
// cover the places that always or sometimes interpret markup.
namespace UiText {

// For Qt Charts titles, axis categories, legend and slice labels: they are rendered
// as HTML, so markup characters are escaped.
QString forChart(const QString &text);

// For tooltips: Qt shows a tooltip as rich text when it looks like markup, so the
// text is wrapped in an escaped paragraph that always renders literally.
QString forToolTip(const QString &text);

// For buttons, tabs and menu entries: '&' marks a keyboard mnemonic, "&&" is a '&'.
QString forButton(const QString &text);

// "1,234" in the user's locale.
QString number(qint64 value);

// A tr() text with "%n"/"%Ln" and an English "(s)" plural ("%Ln vote(s)") made
// right for `count` when no catalogue provided the numerus forms: "1 vote", "2 votes".
QString plural(const QString &translated, qint64 count);

} // namespace UiText
