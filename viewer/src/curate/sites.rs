//! The Site tab: the asset's site, confirmed, edited, created, split off or merged.

#[allow(clippy::wildcard_imports)]
use super::*;

impl ViewerApp {
    /// The asset's site: which one it is in, and that site's own details.
    pub(super) fn site_tab(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        let current = item.site_id.clone();
        let mut chosen = current.clone();
        let sites = self.collection.site_names(lang.tag());
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new(t(lang, "info.site")).strong());
            choose(ui, "curate-site", label.id, &sites, &mut chosen);
        });
        if chosen != current {
            let (id, site) = (item.id.clone(), chosen);
            self.act("curate.saved", |cat, who| {
                Ok(cat.assign_site(site.as_deref(), &[id], who)?.len())
            });
        }
        ui.separator();
        self.site_form(ui, item);
    }

    /// The site's names and vocabulary fields, confirming a suggested site, and a new site for the asset.
    pub(super) fn site_form(&mut self, ui: &mut egui::Ui, item: &Item) {
        let lang = self.lang;
        if let Some((site, _)) = &self.curator.site {
            let (site_id, confirmed) = (site.id.clone(), site.confirmed);
            egui::Grid::new("curate-site-form").num_columns(2).show(ui, |ui| {
                for key in SITE_FORM_FIELDS {
                    let label = ui.label(site_field_label(lang, key));
                    let value = self.curator.site_form.entry((*key).to_owned()).or_default();
                    ui.add(egui::TextEdit::singleline(value).desired_width(220.0))
                        .labelled_by(label.id);
                    ui.end_row();
                }
            });
            highlight_box(ui, &mut self.curator.site_form, t(lang, "site_field.highlight"));
            let changes = self.curator.site_changes();
            ui.horizontal(|ui| {
                let save = ui.add_enabled(!changes.is_empty(), egui::Button::new(t(lang, "curate.save_site")));
                let confirm = !confirmed && ui.button(t(lang, "curate.confirm_site")).clicked();
                if save.clicked() {
                    let id = site_id.clone();
                    self.act("curate.saved", move |cat, who| {
                        let parsed = changes
                            .iter()
                            .map(|a| fields::parse_assignment(Entity::Site, a))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok(cat.set_site(&id, &parsed, who)?.len())
                    });
                } else if confirm {
                    let id = site_id.clone();
                    self.act("curate.saved", move |cat, who| Ok(cat.confirm_site(&id, who)?.len()));
                }
            });
        }
        // The other assets of its site, to split off together with it.
        let others: Vec<(String, String)> = match &item.site_id {
            Some(site) => self
                .collection
                .items
                .iter()
                .filter(|i| i.site_id.as_ref() == Some(site) && i.id != item.id)
                .map(|i| (i.id.clone(), self.title_of(i).0.to_owned()))
                .collect(),
            None => Vec::new(),
        };
        if !others.is_empty() {
            ui.label(t(lang, "curate.split_with"));
            for (id, title) in &others {
                let mut on = self.curator.split_with.contains(id);
                if ui.checkbox(&mut on, title).changed() {
                    if on {
                        self.curator.split_with.insert(id.clone());
                    } else {
                        self.curator.split_with.remove(id);
                    }
                }
            }
        }
        ui.horizontal(|ui| {
            let label = ui.label(t(lang, "curate.new_site"));
            ui.add(egui::TextEdit::singleline(&mut self.curator.new_site).desired_width(160.0))
                .labelled_by(label.id);
            let name = self.curator.new_site.trim().to_owned();
            if ui
                .add_enabled(!name.is_empty(), egui::Button::new(t(lang, "curate.create_site")))
                .clicked()
            {
                let (tag, from) = (lang.tag(), item.site_id.clone());
                let mut assets = vec![item.id.clone()];
                assets.extend(
                    others
                        .iter()
                        .filter(|(id, _)| self.curator.split_with.contains(id))
                        .map(|(id, _)| id.clone()),
                );
                self.act("curate.saved", move |cat, who| {
                    let change = fields::parse_assignment(Entity::Site, &format!("name.{tag}={name}"))?;
                    // Split off from its site with the assets picked (taking the site's province, rank and
                    // type), or a site of its own.
                    if let Some(from) = from {
                        return Ok(cat.split_site(&from, &assets, &[change], who)?.1.len());
                    }
                    let (site, revs) = cat.create_site(None, &[change], who)?;
                    Ok(revs.len() + cat.assign_site(Some(&site.id), &assets, who)?.len())
                });
            }
        });
        // Merging this site into another: its assets move there, and it records where it went.
        let Some(current) = item.site_id.clone() else {
            return;
        };
        let targets: Vec<(String, String)> = self
            .collection
            .sites
            .iter()
            .filter(|s| s.id != current && s.merged_into.is_none())
            .map(|s| (s.id.clone(), s.display_name(lang.tag())))
            .collect();
        let mut merge = None;
        ui.horizontal(|ui| {
            let label = ui.label(t(lang, "curate.merge_into"));
            let chosen = &mut self.curator.merge_into;
            choose(ui, "curate-merge-into", label.id, &targets, chosen);
            let button = egui::Button::new(t(lang, "curate.merge_site"));
            if ui.add_enabled(chosen.is_some(), button).clicked() {
                merge = chosen.take();
            }
        });
        if let Some(into) = merge {
            self.act("curate.saved", move |cat, who| {
                Ok(cat.merge_sites(&into, &[current], who)?.len())
            });
        }
    }
}
